"""Vectorized event scoring vs sed_eval on a task-sized input (the issue's bar: at least 20x faster).

    python benchmarks/event_scoring.py [--files 200] [--events 40] [--repeats 3]

Prints the median time of each over the repeats, their ratio, and checks the values are equal.
"""

import argparse
import statistics
import time

import numpy as np

from heareval.score import available_scores, primary_value

LABELS = [f"class{i}" for i in range(11)]


def synthetic(files: int, events: int, seed: int = 0):
    """References like a DCASE test split, and predictions that are perturbed copies with errors."""
    rng = np.random.default_rng(seed)
    reference, predicted = {}, {}
    for f in range(files):
        name = f"scene{f}.wav"
        starts = np.sort(rng.uniform(0, 118000, events))
        reference[name] = [{"label": LABELS[rng.integers(11)], "start": float(s),
                            "end": float(s + rng.uniform(200, 2000))} for s in starts]
        predicted[name] = []
        for e in reference[name]:
            if rng.random() < 0.8:
                shift = rng.normal(0, 150)
                predicted[name].append({"label": e["label"] if rng.random() < 0.9 else LABELS[rng.integers(11)],
                                        "start": e["start"] + shift, "end": e["end"] + shift + rng.normal(0, 100)})
        for _ in range(events // 5):
            s = rng.uniform(0, 118000)
            predicted[name].append({"label": LABELS[rng.integers(11)], "start": s, "end": s + 500})
    return reference, predicted


def sed_eval_score(metric_class, params, predicted, reference):
    import sed_eval
    from dcase_util.containers import MetaDataContainer

    def container(events):
        return MetaDataContainer([{"event_label": e["label"], "event_onset": e["start"] / 1000.0,
                                   "event_offset": e["end"] / 1000.0, "file": f}
                                  for f, items in events.items() for e in items])

    ref, est = container(reference), container(predicted)
    metrics = getattr(sed_eval.sound_event, metric_class)(event_label_list=LABELS, **params)
    for name in reference:
        metrics.evaluate(reference_event_list=ref.filter(filename=name), estimated_event_list=est.filter(filename=name))
    return metrics.results_overall_metrics()


def median_time(function, repeats):
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    reference, predicted = synthetic(args.files, args.events)
    label_to_idx = {label: i for i, label in enumerate(LABELS)}
    n_events = sum(map(len, reference.values()))
    print(f"input: {args.files} files, {n_events} reference events, "
          f"{sum(map(len, predicted.values()))} predicted events, {len(LABELS)} classes")
    print(f"{'score':40s} {'heareval s':>11s} {'sed_eval s':>11s} {'ratio':>7s}  equal")
    cases = [("event_onset_200ms_fms", "EventBasedMetrics", "f_measure"),
             ("event_onset_offset_50ms_20perc_fms", "EventBasedMetrics", "f_measure"),
             ("segment_1s_er", "SegmentBasedMetrics", "error_rate")]
    for name, metric_class, key in cases:
        score = available_scores[name](label_to_idx=label_to_idx)
        ours_s, ours = median_time(lambda: primary_value(score(predicted, reference)), args.repeats)
        params = getattr(score, "params")
        theirs_s, theirs = median_time(lambda: sed_eval_score(metric_class, params, predicted, reference)[key][key],
                                       args.repeats)
        equal = abs(ours - theirs) <= 1e-9
        print(f"{name:40s} {ours_s:11.4f} {theirs_s:11.3f} {theirs_s / ours_s:6.0f}x  {equal} ({ours:.6f})")


if __name__ == "__main__":
    main()
