/**
 * Getting graphs in and out: {@link dev.adjoint.graph.io.GraphFile} saves and loads a graph in a
 * versioned, checksummed binary format (errors: {@link dev.adjoint.graph.io.GraphFormatException});
 * {@link dev.adjoint.graph.io.DotExport} renders one as Graphviz DOT text for looking at it.
 */
package dev.adjoint.graph.io;
