package dev.adjoint.graph.pass;

import static dev.adjoint.graph.pass.Pattern.any;
import static dev.adjoint.graph.pass.Pattern.filledWith;
import static dev.adjoint.graph.pass.Pattern.op;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.op.BroadcastInDim;
import dev.adjoint.graph.op.Input;
import dev.adjoint.graph.op.ReduceSum;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.graph.op.UnaryFn;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rewrite-rule API: typed patterns, fixed points, the bound on rounds, replacement checks. */
class RuleTest {
    /** The README's example: {@code log(exp(x)) -> x}. */
    static final Rule<Unary> LOG_EXP = Rule.of("log-exp",
            op(Unary.class, u -> u.fn() == UnaryFn.LOG, op(Unary.class, u -> u.fn() == UnaryFn.EXP, any())), m -> m.at(0, 0));

    @Test void aUserRuleRunsToItsFixedPoint() {
        Graph g = new Graph();
        Tensor x = g.input("x", 3);
        Tensor y = x.exp().log().exp().log().mul(1.0);
        Pipeline p = Pipeline.of("mine", AlgebraicRules.SET.with(LOG_EXP).asPass());
        Pipeline.Result r = p.run(List.of(y), Pipeline.Options.checked());
        assertInstanceOf(Input.class, r.rewritten().outputs().get(0).op(), r.rewritten().graph().toString());
        assertTrue(r.reports().get(0).warnings().isEmpty());
    }

    @Test void aRuleThatNeverStopsHitsTheBoundWithAWarning() {
        // x*1 -> (x*1)*1: grows forever; the engine stops after maxRounds.
        Rule<Binary> grow = Rule.of("grow", op(Binary.class, b -> b.fn() == BinaryFn.MUL, any(), filledWith(1)), m -> m.graph().add(m.op(),
                m.graph().add(m.op(), m.operands()), m.operand(1)));
        Graph g = new Graph();
        Tensor x = g.input("x", 2);
        List<String> warnings = new ArrayList<>();
        RuleSet.of("grow", "never terminates", List.of(grow)).withMaxRounds(5).run(List.of(x.mul(1.0)), warnings::add);
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).startsWith("grow: no fixed point after 5 rounds; rules still firing: {grow="), warnings.get(0));
    }

    @Test void aReplacementOfTheWrongShapeNamesTheNode() {
        Rule<Unary> bad = Rule.of("bad", op(Unary.class, u -> u.fn() == UnaryFn.EXP), m -> m.operand(0).sum());
        Graph g = new Graph();
        Tensor x = g.input("x", 2);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RuleSet.of("bad", "", List.of(bad)).run(List.of(x.exp()), w -> {}));
        assertTrue(e.getMessage().contains("exp") && e.getMessage().contains("f32[]"), e.getMessage());
    }

    @Test void patternsTestAttributesAndOperands() {
        Graph g = new Graph();
        Tensor x = g.input("x", 2, 3);
        Pattern sumOfBroadcast = op(ReduceSum.class, r -> r.axes().size() == 1, op(BroadcastInDim.class));
        assertTrue(sumOfBroadcast.matches(x.sum(0).broadcastTo(4, 3).sum(0)));
        assertTrue(!sumOfBroadcast.matches(x.sum(0)));
        assertTrue(filledWith(0).matches(g.fill(0.0, 2, 3)));
        assertTrue(Pattern.constant().matches(g.constant(2.0).broadcastTo(3).reshape(1, 3)));
    }

    @Test void gradientRulesCancelBroadcastThenReduce() {
        Graph g = new Graph();
        Tensor x = g.input("x", 3);
        Tensor y = x.broadcastInDim(dev.adjoint.graph.Shape.of(4, 3, 5), 1).sum(0, 2).add(x.mul(2.0).add(x.mul(3.0)));
        Pipeline.Result r = Pipeline.of("g", Passes.GRADIENT).run(List.of(y), Pipeline.Options.checked());
        assertTrue(r.rewritten().graph().nodes().stream().noneMatch(n -> n.op() instanceof ReduceSum), r.rewritten().graph().toString());
    }
}
