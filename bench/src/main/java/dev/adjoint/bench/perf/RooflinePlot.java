package dev.adjoint.bench.perf;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The measured roofline (min(peak, bandwidth x intensity)) with each kernel at its intensity and rate, as a PNG. */
public final class RooflinePlot {
    private RooflinePlot() {}

    /**
     * One kernel on the chart.
     *
     * @param name label
     * @param intensity FLOPs per byte
     * @param gflops achieved GFLOP/s
     */
    public record Point(String name, double intensity, double gflops) {}

    /** Writes the chart to {@code file} (900 x 560 pixels). */
    public static void write(Limits limits, List<Point> points, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        double lo = 0.01, hi = 1000;
        for (Point p : points) {
            lo = Math.min(lo, p.intensity() / 2);
            hi = Math.max(hi, p.intensity() * 2);
        }
        XYSeries roof = new XYSeries("roofline: " + String.format("%.0f GFLOP/s, %.1f GB/s", limits.peakGflops(), limits.bandwidthGBs()));
        double ridge = limits.peakGflops() / limits.bandwidthGBs();
        roof.add(lo, limits.bandwidthGBs() * lo);
        if (ridge > lo && ridge < hi) roof.add(ridge, limits.peakGflops());
        roof.add(hi, Math.min(limits.peakGflops(), limits.bandwidthGBs() * hi));
        XYSeries measured = new XYSeries("kernels (measured)");
        for (Point p : points) measured.add(p.intensity(), p.gflops());
        XYSeriesCollection data = new XYSeriesCollection(roof);
        data.addSeries(measured);
        LogAxis x = new LogAxis("arithmetic intensity (FLOP per byte of memory traffic)");
        LogAxis y = new LogAxis("GFLOP/s (float32)");
        for (LogAxis a : new LogAxis[] {x, y}) {
            a.setSmallestValue(1e-3);
            a.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1.0));  // one tick per power of ten
            a.setNumberFormatOverride(new java.text.DecimalFormat("0.###"));
        }
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer();
        r.setSeriesLinesVisible(0, true);
        r.setSeriesShapesVisible(0, false);
        r.setSeriesPaint(0, new Color(0x424242));
        r.setSeriesStroke(0, new BasicStroke(2.5f));
        r.setSeriesLinesVisible(1, false);
        r.setSeriesShapesVisible(1, true);
        r.setSeriesPaint(1, new Color(0xc62828));
        XYPlot plot = new XYPlot(data, x, y, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        for (Point p : points) {
            XYTextAnnotation a = new XYTextAnnotation("  " + p.name(), p.intensity(), p.gflops());
            a.setFont(new Font("SansSerif", Font.PLAIN, 12));
            a.setTextAnchor(TextAnchor.CENTER_LEFT);
            plot.addAnnotation(a);
        }
        JFreeChart chart = new JFreeChart("Kernels against this machine's measured roofline (" + limits.threads() + " thread(s))",
                new Font("SansSerif", Font.BOLD, 15), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 900, 560);
    }
}
