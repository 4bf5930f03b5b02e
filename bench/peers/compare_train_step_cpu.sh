#!/bin/bash
# Interleaved 1-thread CPU-time comparison of one training step (MLP 784-512-512-10 batch 128, LeNet-5 batch 64):
# `dev.adjoint.bench.TrainStepTiming cpu` and `bench/peers/torch_train_step.py 7 1`, A B B A A B, the load average before each.
# Build first: mvn -o -q -pl bench -am compile
cd "$(dirname "$0")/../.."
CP=bench/target/classes:train/target/classes:kernels-simd/target/classes:graph-core/target/classes:autodiff/target/classes:bench/target/lib/fastutil-core-8.5.15.jar
for r in 1 2 3; do
  for who in a t; do
    if [ $(( (r + 1) % 2 )) -eq 1 ]; then who=$([ $who = a ] && echo t || echo a); fi
    echo "round $r load $(cut -d' ' -f1 /proc/loadavg)"
    if [ $who = a ]; then
      "${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC -cp $CP dev.adjoint.bench.TrainStepTiming cpu 7 2>/dev/null
    else
      /usr/bin/python3 bench/peers/torch_train_step.py 7 1
    fi
  done
done
