"""The image resizer: cold resizes/s end to end against Pillow, cached latency, and hostile sources.

gunicorn (`config.wsgi -w 2`) serves /img/ for a fresh instance; a loopback publisher in its own
process serves one 2000×1500 photo-like JPEG under --n distinct URLs, plus hostile files.

    .venv/bin/python bench/images.py [--n 200] [--clients 4] [--cached 1000]

Figures:
- in-process, one core: ms per 2000×1500 JPEG → 640-wide WebP, our `transform.render` against
  Pillow the idiomatic way (`Image.thumbnail`, which uses JPEG draft mode) and plain `resize`;
- cold: distinct signed URLs through the server (fetch, sniff, header check, resize, cache write),
  against Pillow doing only the decode+resize+encode in 2 processes over the same bytes;
- cached: p50/p99 of a hit, one client;
- hostile: each source's status, worker peak RSS, and the p99 of cached requests while hostile
  ones run beside them, against the same with ordinary requests beside them.
`--images-only` serves only the resizer's URLs (for when another app's routes do not import).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    BIN,
    PublisherProcess,
    django_setup,
    emit,
    isolated_env,
    peak_rss_mb,
    stop,
    wait_until,
)

WIDTH = 640
QUALITY = 75
SOURCE_W, SOURCE_H = 2000, 1500


def source_jpeg() -> bytes:
    """source_jpeg is a 2000×1500 photo-like JPEG (~500 KiB, like a press photo): gradients, soft blobs, grain; Q85."""
    import pyvips

    xyz = pyvips.Image.xyz(SOURCE_W, SOURCE_H)
    x, y = xyz[0], xyz[1]
    blobs = pyvips.Image.gaussnoise(SOURCE_W // 50, SOURCE_H // 50, sigma=60, mean=128).resize(
        50, kernel="cubic"
    )
    grain = pyvips.Image.gaussnoise(SOURCE_W, SOURCE_H, sigma=5, mean=0)
    red = x * 200 / SOURCE_W + blobs * 0.3 + grain
    green = y * 200 / SOURCE_H + blobs * 0.5 + grain
    blue = blobs * 0.8 + grain + 40
    image = red.bandjoin([green, blue]).cast("uchar").copy(interpretation="srgb")
    return bytes(image.write_to_buffer(".jpg", Q=85))


def hostile_sources() -> dict[str, tuple[bytes, str]]:
    from broadsheet.images.tests import samples

    return {
        "png-64000x64000": (samples.png_claiming(64000, 64000), "image/png"),
        "jpeg-65000x65000": (samples.jpeg_claiming(65000, 65000), "image/jpeg"),
        "gif-5000-frames": (samples.gif_frames(5000), "image/gif"),
        "body-13MiB": (samples.photo(64, 64) + b"\0" * (13 << 20), "image/jpeg"),
        "svg-script": (samples.SVG, "image/svg+xml"),
        "html": (samples.HTML, "text/html"),
        "fits-as-jpg": (samples.FITS, "image/jpeg"),
        "garbage": (samples.GARBAGE, "image/jpeg"),
    }


def _publish(server, n: int, jpeg: bytes, hostile: dict[str, tuple[bytes, str]]) -> None:  # type: ignore[no-untyped-def]
    from broadsheet.core.testing import Response

    photo = Response(jpeg, 200, {"Content-Type": "image/jpeg"})
    for i in range(n + 1):
        server.routes[f"/src/{i}.jpg"] = photo
    for name, (body, content_type) in hostile.items():
        server.routes[f"/hostile/{name}.jpg"] = _quiet(
            Response(body, 200, {"Content-Type": content_type})
        )


def _quiet(response):  # type: ignore[no-untyped-def]
    # The resizer hangs up on a body over its cap: that is the point, not an error to print.
    def route(handler) -> None:  # type: ignore[no-untyped-def]
        with contextlib.suppress(OSError):
            handler.send_whole(response)

    return route


# --- in-process ----------------------------------------------------------------------------------


def pillow_thumbnail(data: bytes) -> bytes:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.thumbnail((WIDTH, 10 * WIDTH), Image.Resampling.LANCZOS)  # draft mode for JPEG
    out = io.BytesIO()
    image.convert("RGB").save(out, "WEBP", quality=QUALITY, method=2)
    return out.getvalue()


def pillow_resize(data: bytes) -> bytes:
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    height = round(image.height * WIDTH / image.width)
    image = image.resize((WIDTH, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=QUALITY, method=2)
    return out.getvalue()


def ours(data: bytes) -> bytes:
    from broadsheet.images import transform
    from broadsheet.images.formats import WEBP

    return transform.render(data, width=WIDTH, quality=QUALITY, output=WEBP)


def ours_avif(data: bytes) -> bytes:
    from broadsheet.images import transform
    from broadsheet.images.formats import AVIF

    return transform.render(data, width=WIDTH, quality=QUALITY, output=AVIF)


def ms_per_image(
    fns: dict[str, Callable[[bytes], bytes]], data: bytes, runs: int
) -> dict[str, tuple[float, float]]:
    """ms_per_image times each fn on data, interleaved round by round; median (wall ms, CPU ms) each.

    CPU time (this process, every thread) is what a busy machine leaves intact; wall time is not.
    """
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in fns}
    for fn in fns.values():
        fn(data)
    for _ in range(runs):
        for name, fn in fns.items():
            wall, cpu = time.perf_counter(), time.process_time()
            fn(data)
            times[name].append(
                ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)
            )
    return {
        name: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
        for name, v in times.items()
    }


def _pillow_worker(args: tuple[bytes, int]) -> int:
    data, count = args
    for _ in range(count):
        pillow_thumbnail(data)
    return count


def pillow_parallel(data: bytes, n: int, processes: int = 2) -> float:
    """pillow_parallel is Pillow's decode+resize+encode rate in `processes` processes, per second."""
    ctx = mp.get_context("fork")
    with ctx.Pool(processes) as pool:
        pool.map(_pillow_worker, [(data, 1)] * processes)  # warm
        start = time.perf_counter()
        done = sum(pool.map(_pillow_worker, [(data, n // processes)] * processes))
        return done / (time.perf_counter() - start)


# --- through the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed_gets(base: str, paths: list[str], accept: str = "image/webp") -> list[tuple[int, float]]:
    import httpx

    out = []
    with httpx.Client(base_url=base, timeout=60, headers={"Accept": accept}) as client:
        for path in paths:
            start = time.perf_counter()
            response = client.get(path)
            out.append((response.status_code, (time.perf_counter() - start) * 1000))
    return out


def parallel_gets(base: str, paths: list[str], clients: int) -> tuple[list[int], float]:
    chunks = [paths[i::clients] for i in range(clients)]
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda chunk: timed_gets(base, chunk), chunks))
    elapsed = time.perf_counter() - start
    return [status for part in results for status, _ in part], elapsed


def latency_beside(base: str, measured: list[str], beside: list[str]) -> list[float]:
    """latency_beside times `measured` one by one while another client loops over `beside`."""
    done = threading.Event()

    def load() -> None:
        while not done.is_set():
            timed_gets(base, beside)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    try:
        return [ms for _, ms in timed_gets(base, measured)]
    finally:
        done.set()
        thread.join(60)


def cpu_seconds(pids: list[int]) -> float:
    """cpu_seconds is the user + system CPU time the processes have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


def workers_of(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200, help="distinct URLs resized cold")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--cached", type=int, default=1000, help="cached requests timed")
    parser.add_argument("--runs", type=int, default=20, help="in-process repetitions")
    parser.add_argument("--images-only", action="store_true")
    args = parser.parse_args()

    jpeg = source_jpeg()
    hostile = hostile_sources()
    with PublisherProcess(_publish, args.n, jpeg, hostile) as publisher:
        env = isolated_env(allow=publisher.netloc)
        env["BROADSHEET_IMAGE_THREADS"] = "1"
        if args.images_only:
            home = Path(env["BROADSHEET_HOME"])
            (home / "bench_image_settings.py").write_text(
                "from config.settings import *  # noqa: F403\n"
                'ROOT_URLCONF = "broadsheet.images.tests.urls"\n'
            )
            env["PYTHONPATH"] = f"{home}{os.pathsep}{env['PYTHONPATH']}"
            env["DJANGO_SETTINGS_MODULE"] = "bench_image_settings"
            sys.path.insert(0, str(home))
        django_setup(env)
        from django.conf import settings

        from broadsheet.images.signing import image_url
        from broadsheet.ingest.models import Source

        Source.objects.create(name="Bench publisher", host="127.0.0.1")

        # In-process: one core, same bytes, same output size and WebP effort.
        os.environ["BROADSHEET_IMAGE_THREADS"] = "1"
        settings.BROADSHEET["BROADSHEET_IMAGE_THREADS"] = 1
        ms = ms_per_image(
            {
                "pyvips": ours,
                "thumbnail": pillow_thumbnail,
                "resize": pillow_resize,
                "avif": ours_avif,
            },
            jpeg,
            args.runs,
        )
        wall = {name: w for name, (w, _) in ms.items()}
        cpu = {name: c for name, (_, c) in ms.items()}
        emit(
            "images_in_process",
            source=f"{SOURCE_W}x{SOURCE_H} JPEG {len(jpeg) // 1024} KiB",
            output=f"{WIDTH}w WebP q{QUALITY} effort/method 2",
            pyvips_cpu_ms=round(cpu["pyvips"], 1),
            pillow_thumbnail_cpu_ms=round(cpu["thumbnail"], 1),
            pillow_resize_cpu_ms=round(cpu["resize"], 1),
            ratio_vs_pillow_thumbnail=round(cpu["thumbnail"] / cpu["pyvips"], 2),
            ratio_vs_pillow_resize=round(cpu["resize"] / cpu["pyvips"], 2),
            pyvips_avif_cpu_ms=round(cpu["avif"], 1),
            pyvips_wall_ms=round(wall["pyvips"], 1),
            pillow_thumbnail_wall_ms=round(wall["thumbnail"], 1),
        )
        pillow_rate = pillow_parallel(jpeg, max(20, args.n // 2))
        pillow_per_cpu_s = 1000 / cpu["thumbnail"]

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        web = subprocess.Popen(
            [str(BIN / "gunicorn"), "config.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            probe = image_url(publisher.url("/src/0.jpg"), WIDTH)
            if not wait_until(lambda: _up(base + probe), timeout=60, interval=0.3):
                sys.exit("the server did not answer")
            cold_paths = [
                image_url(publisher.url(f"/src/{i}.jpg"), WIDTH) for i in range(1, args.n)
            ]
            workers = workers_of(web.pid)
            cpu_before = cpu_seconds(workers)
            statuses, elapsed = parallel_gets(base, cold_paths, args.clients)
            cold_cpu = cpu_seconds(workers) - cpu_before
            # Pillow's rate before and after the cold run, averaged: the machine's load drifts.
            pillow_rate = (pillow_rate + pillow_parallel(jpeg, max(20, args.n // 2))) / 2
            ok = statuses.count(200)
            cold_rate = ok / elapsed
            emit(
                "images_cold",
                urls=len(cold_paths),
                ok=ok,
                clients=args.clients,
                web_workers=2,
                resizes_per_s=round(cold_rate, 1),
                pillow_2proc_per_s=round(pillow_rate, 1),
                ratio_vs_pillow=round(cold_rate / pillow_rate, 2),
                # Load-proof: work done per CPU-second of the web workers (fetch, Django, resize,
                # cache write) against Pillow's bare resize+encode per CPU-second.
                resizes_per_worker_cpu_s=round(ok / cold_cpu, 1),
                pillow_per_cpu_s=round(pillow_per_cpu_s, 1),
                cpu_ratio_vs_pillow=round(ok / cold_cpu / pillow_per_cpu_s, 2),
                load_avg_1m=round(os.getloadavg()[0], 1),
            )
            rss_after_normal = max(peak_rss_mb(p) for p in workers)

            cached_paths = [cold_paths[i % len(cold_paths)] for i in range(args.cached)]
            cpu_before = cpu_seconds(workers)
            timed = timed_gets(base, cached_paths)
            cached_cpu = cpu_seconds(workers) - cpu_before
            cached = [ms for status, ms in timed if status == 200]
            emit(
                "images_cached",
                requests=len(timed),
                ok=len(cached),
                p50_ms=round(statistics.median(cached), 2),
                p99_ms=round(pct(cached, 99), 2),
                worker_cpu_ms_per_hit=round(cached_cpu * 1000 / len(timed), 2),
                load_avg_1m=round(os.getloadavg()[0], 1),
            )

            hostile_paths = {
                name: image_url(publisher.url(f"/hostile/{name}.jpg"), WIDTH) for name in hostile
            }
            answers = {
                name: timed_gets(base, [path], accept="image/avif,image/webp")[0]
                for name, path in hostile_paths.items()
            }
            measured = cached_paths[: min(500, len(cached_paths))]
            baseline = latency_beside(base, measured, cached_paths[-50:])
            beside = latency_beside(base, measured, list(hostile_paths.values()))
            after = timed_gets(base, [image_url(publisher.url(f"/src/{args.n}.jpg"), WIDTH)])
            rss_after_hostile = max(peak_rss_mb(p) for p in workers_of(web.pid))
            emit(
                "images_hostile",
                statuses={name: status for name, (status, _) in answers.items()},
                all_4xx=all(400 <= status < 500 for status, _ in answers.values()),
                serves_after=after[0][0] == 200,
                worker_peak_rss_mb_before=round(rss_after_normal, 1),
                worker_peak_rss_mb_after=round(rss_after_hostile, 1),
                normal_p99_ms_beside_normal=round(pct(baseline, 99), 2),
                normal_p99_ms_beside_hostile=round(pct(beside, 99), 2),
                p99_ratio=round(pct(beside, 99) / pct(baseline, 99), 2),
            )
        finally:
            stop([web])


def _up(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=30, headers={"Accept": "image/webp"}).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    main()
