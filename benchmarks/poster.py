"""Stamping a 4000×5000 JPEG against Pillow only opening and re-saving it, in the same run.

Each measurement runs in a fresh child process: the time of the operation itself, and its
peak memory as the growth of the resident set over the child's baseline taken after imports
and after reading the file. The resident set sees Pillow's C allocations, which tracemalloc
does not. On Linux the peak is the kernel's VmHWM, reset to the baseline just before the
operation (/proc/self/clear_refs), because ru_maxrss can carry a high-water mark inherited
from the parent; elsewhere ru_maxrss is used. Both cases save with quality="keep", so they
encode the same way.

    .venv/bin/python benchmarks/poster.py [--runs 5]

Targets: stamping at most 1.5× the time of open + re-save, and peak memory at most 3× the
decoded image (4000 × 5000 × 3 bytes = 60 MB).
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WIDTH, HEIGHT = 4000, 5000
DECODED_BYTES = WIDTH * HEIGHT * 3
FOOTER_LINES = ["#ISMKISATU", "@ismki_indonesia | www.ismki.org"]
TIME_TARGET, MEMORY_TARGET = 1.5, 3.0


def make_poster(path: Path) -> None:
    """A photo-like JPEG: gradients plus noise, so it neither compresses nor decodes trivially."""
    from PIL import Image, ImageDraw

    noise = Image.effect_noise((WIDTH, HEIGHT), 48)
    across = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    down = across.rotate(90, expand=False)
    image = Image.merge("RGB", (noise, across, down))
    draw = ImageDraw.Draw(image)
    for i in range(40):
        draw.ellipse((i * 97, i * 120, i * 97 + 600, i * 120 + 400), outline="white", width=12)
    image.save(path, "JPEG", quality=90)


def _proc_status(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # reported in kB
    raise KeyError(field)


def start_peak() -> tuple[str, int]:
    """Begin a peak measurement: (method, baseline bytes)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        return "VmHWM", _proc_status("VmRSS")
    except (OSError, KeyError):
        return "ru_maxrss", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_since(method: str, baseline: int) -> int:
    if method == "VmHWM":
        return _proc_status("VmHWM") - baseline
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline


def resave(data: bytes) -> bytes:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    out = io.BytesIO()
    image.save(out, "JPEG", quality="keep")
    return out.getvalue()


def stamp(data: bytes) -> bytes:
    from bot.media import Footer
    from bot.media import stamp as stamp_poster

    return stamp_poster(data, Footer(lines=FOOTER_LINES))


def child(case: str, path: str) -> None:
    """Run one case once and print its time and peak-memory growth as JSON."""
    import PIL.Image  # noqa: F401  imports belong to the baseline, not to the operation

    import bot.media  # noqa: F401

    operation = {"resave": resave, "stamp": stamp}[case]
    data = Path(path).read_bytes()
    gc.collect()
    method, baseline = start_peak()
    start = time.perf_counter()
    result = operation(data)
    seconds = time.perf_counter() - start
    peak = peak_since(method, baseline)
    print(json.dumps({"seconds": seconds, "peak_bytes": peak, "method": method,
                      "output_bytes": len(result)}))


def measure(case: str, path: Path) -> dict:
    command = [sys.executable, __file__, "--child", case, str(path)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def report(runs: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "poster.jpg"
        # Made in a child too, so this process stays small and passes no high-water mark on.
        subprocess.run([sys.executable, __file__, "--make", str(path)], check=True)
        print(f"input: {WIDTH}×{HEIGHT} JPEG, {path.stat().st_size / 1e6:.1f} MB on disk; "
              f"decoded {DECODED_BYTES / 1e6:.0f} MB (w×h×3); {runs} runs per case")
        results: dict[str, list[dict]] = {"resave": [], "stamp": []}
        for _ in range(runs):  # interleaved, so drift in the machine hits both cases alike
            for case in results:
                results[case].append(measure(case, path))
    summary = {}
    for case, samples in results.items():
        seconds = statistics.median(s["seconds"] for s in samples)
        peak = max(s["peak_bytes"] for s in samples)
        summary[case] = (seconds, peak)
        print(f"{case:>7}: median {seconds * 1000:7.1f} ms "
              f"(min {min(s['seconds'] for s in samples) * 1000:.1f}), "
              f"peak memory +{peak / 1e6:6.1f} MB = {peak / DECODED_BYTES:.2f}× decoded "
              f"[{samples[0]['method']}], output {samples[0]['output_bytes'] / 1e6:.1f} MB")
    time_ratio = summary["stamp"][0] / summary["resave"][0]
    memory_ratio = summary["stamp"][1] / DECODED_BYTES
    time_ok, memory_ok = time_ratio <= TIME_TARGET, memory_ratio <= MEMORY_TARGET
    print(f"stamp / resave time: {time_ratio:.2f}× (target ≤ {TIME_TARGET}×) "
          f"{'OK' if time_ok else 'OVER'}")
    print(f"stamp peak memory: {memory_ratio:.2f}× decoded (target ≤ {MEMORY_TARGET}×) "
          f"{'OK' if memory_ok else 'OVER'}")
    return 0 if time_ok and memory_ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("CASE", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--make", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        make_poster(Path(args.make))
        return 0
    if args.child:
        child(*args.child)
        return 0
    return report(args.runs)


if __name__ == "__main__":
    sys.exit(main())
