"""One worker of a multi-worker run (notebook 07): ``MultiWorkerMirroredStrategy`` and a custom training loop.

Started by :func:`utils.distribute.run_workers`, once per worker, with ``TF_CONFIG`` naming the
cluster (every worker's ``host:port``) and this worker's index. Every worker runs this same file:
it joins the cluster, builds the same model (the frozen ``glyphnet-letters`` backbone and a new
10-way head) under the strategy's scope, reads its own shard of the real digits, and trains with
``strategy.run``: each replica computes the loss on its share of the global batch, scaled by the
*global* batch size (``tf.nn.compute_average_loss``), and the optimizer all-reduces (sums) the
gradients across workers before every update, so all workers hold the same weights throughout.

Keras 3's ``model.fit`` does not run under ``MultiWorkerMirroredStrategy`` (keras-team/keras#20585),
hence the custom loop.

Usage: ``TF_CONFIG=... python -m utils.distribute_worker --out DIR [--steps N] [--global-batch B]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sys
import time
from pathlib import Path

STARTED = time.monotonic()


def _peak_rss_bytes() -> int:
    """This process's peak resident memory: VmHWM on Linux (ru_maxrss would include the parent's at fork time)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def _exit_with_parent(parent: int) -> None:
    """Exit when the process that started this worker goes away (a killed or restarted kernel).

    A watcher thread polls the parent's id (Linux's PR_SET_PDEATHSIG is not used: it fires when
    the *thread* that started the worker ends, which in a notebook kernel is not the kernel's end).
    """
    import threading

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(3)

    threading.Thread(target=watch, daemon=True).start()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="folder for this worker's results")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--global-batch", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=int, default=180, help="seconds a collective may wait for the others")
    args = parser.parse_args(argv)
    task = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    _exit_with_parent(int(os.environ.get("TL_WORKER_PARENT", os.getppid())))

    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)  # the workers share the machine's cores
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    import utils

    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=args.timeout)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the strategy traps SIGTERM (preemption); here it means stop
    with strategy.scope():  # variables made here are mirrored on every worker and kept in sync
        utils.set_seed(args.seed)
        base = utils.load_backbone("glyphnet-letters")  # frozen: feature extraction
        inputs = keras.Input(base.input_shape[1:])
        model = keras.Model(inputs, keras.layers.Dense(10)(base(inputs, training=False)))
        optimizer = keras.optimizers.Adam(args.learning_rate)
        optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)  # per example

    train = utils.load_digits_splits().train
    x = utils.get_preprocessing("glyphnet-letters")(utils.adapt_images(train.x, "glyphnet-letters"))

    def dataset_fn(context):  # each worker reads its own shard: element i goes to worker i % n_workers
        per_replica = context.get_per_replica_batch_size(args.global_batch)
        data = tf.data.Dataset.from_tensor_slices((x, train.y)).repeat()
        return data.shard(context.num_input_pipelines, context.input_pipeline_id).batch(per_replica, drop_remainder=True)

    batches = iter(strategy.distribute_datasets_from_function(dataset_fn))

    def replica_step(x, y):
        with tf.GradientTape() as tape:
            per_example = loss_fn(y, model(x, training=True))
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=args.global_batch)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))  # all-reduce, then the same update everywhere
        return loss

    @tf.function
    def train_step(iterator):
        per_replica_loss = strategy.run(replica_step, args=next(iterator))
        return strategy.reduce("SUM", per_replica_loss, axis=None)  # the global batch's mean loss

    ready = time.monotonic()
    losses = []
    for step in range(args.steps):
        losses.append(float(train_step(batches)))
        print(f"worker {task}: step {step + 1}/{args.steps}, loss {losses[-1]:.4f}", flush=True)
    seconds = time.monotonic() - ready

    out = args.out
    # read by run_workers only once every worker has exited cleanly, so no partial file is ever read
    np.savez(out / f"worker{task}.npz", **{f"w{k}": w for k, w in enumerate(model.get_weights())})
    summary = {"task": task, "losses": losses, "seconds": seconds, "startup_seconds": ready - STARTED,
               "replicas": strategy.num_replicas_in_sync,
               "peak_rss_bytes": _peak_rss_bytes()}
    (out / f"worker{task}.json").write_text(json.dumps(summary))
    # a barrier: no worker leaves (and takes its part of the cluster down) before every worker has saved
    strategy.reduce("SUM", strategy.run(lambda: tf.constant(1.0)), axis=None)
    print(f"worker {task}: done", flush=True)
    os._exit(0)  # skip TensorFlow's teardown: a worker's exit must not wait on the others' heartbeats


if __name__ == "__main__":
    main()
