package dev.adjoint.bench.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The training curves as a PNG: mean training loss (left axis) and test accuracy (right axis) per epoch. */
public final class TrainingPlot {
    private TrainingPlot() {}

    /** Writes the chart of {@code epochs} to {@code file} (800 x 500 pixels), with a title and a smaller subtitle. */
    public static void write(String title, String subtitle, List<Trainer.Epoch> epochs, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYSeries loss = new XYSeries("training loss"), acc = new XYSeries("test accuracy (%)");
        for (Trainer.Epoch e : epochs) {
            loss.add(e.epoch(), e.loss());
            acc.add(e.epoch(), 100 * e.testAccuracy());
        }
        NumberAxis x = new NumberAxis("epoch");
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        x.setAutoRangeIncludesZero(false);
        NumberAxis lossAxis = new NumberAxis("mean training loss (cross-entropy)");
        lossAxis.setAutoRangeIncludesZero(false);
        NumberAxis accAxis = new NumberAxis("test accuracy (%)");
        accAxis.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(new XYSeriesCollection(loss), x, lossAxis, line(new Color(0xc62828)));
        plot.setRangeAxis(1, accAxis);
        plot.setDataset(1, new XYSeriesCollection(acc));
        plot.mapDatasetToRangeAxis(1, 1);
        plot.setRenderer(1, line(new Color(0x1565c0)));
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        lossAxis.setLabelPaint(new Color(0xc62828));
        accAxis.setLabelPaint(new Color(0x1565c0));
        JFreeChart chart = new JFreeChart(title, new Font("SansSerif", Font.BOLD, 15), plot, true);
        chart.addSubtitle(new org.jfree.chart.title.TextTitle(subtitle, new Font("SansSerif", Font.PLAIN, 12)));
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 800, 500);
    }

    static XYLineAndShapeRenderer line(Color color) {
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        r.setSeriesPaint(0, color);
        r.setSeriesStroke(0, new BasicStroke(2.2f));
        return r;
    }
}
