#!/usr/bin/env python3
"""The table and the plot of `make bench` (scripts/bench.sh calls it).

Reads DIR/raw/BOOT.txt (the "# bench" figures of each boot of
tests/bench-boots, and the capture times scripts/bench.sh took from the
console), writes DIR/results.md (one markdown table: figure, value,
threshold, result) and DIR/memory.png (gnuplot).  A figure that is missing
says so in its row; a threshold that is missed says "NOT MET".
"""
import glob
import os
import re
import subprocess
import sys

out = sys.argv[1]
top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
raw = {}
for name in ("stock", "staging", "export", "flush", "capture", "busy", "view", "journal"):
    try:
        with open(os.path.join(out, "raw", name + ".txt")) as f:
            raw[name] = [line.split() for line in f if line.strip()]
    except FileNotFoundError:
        raw[name] = []


def kv(words):
    """"key value key value..." -> dict of floats (or strings)."""
    d = {}
    for k, v in zip(words[0::2], words[1::2]):
        try:
            d[k] = float(v)
        except ValueError:
            d[k] = v
    return d


def lines(boot, *head):
    n = len(head)
    return [w[n:] for w in raw[boot] if tuple(w[:n]) == head]


def size_label(n):
    return f"{n / 1000:.0f}k" if n >= 1000 else str(n)


def ratio(a, b):
    return a / b if b else float("nan")


rows = []


def row(figure, value, threshold="", met=None):
    res = "" if met is None else ("met" if met else "NOT MET")
    rows.append((figure, value, threshold, res))


def missing(figure, why, threshold=""):
    row(figure, f"not measured: {why}", threshold, None if not threshold else False)


# -- hold times of ima_extend_list_mutex ------------------------------------
def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2


def holds(boot, op, lock="ima_extend_list_mutex"):
    """[(size, {acq, max, mean, samples})]: the median of the samples at a size."""
    by_size = {}
    for w in lines(boot, "hold", op):
        if w[1] == lock:
            by_size.setdefault(int(w[0]), []).append(kv(w[2:]))
    got = []
    for n in sorted(by_size):
        ds = by_size[n]
        got.append((n, {k: median([d[k] for d in ds]) for k in ("acq", "max", "mean")}
                    | {"samples": len(ds)}))
    return got


def hold_row(label, got, judged=True):
    if not got:
        missing(label, "no figure (see the boot's log)", "ratio <= 1.2" if judged else "")
        return
    taken = [(n, d) for n, d in got if d["acq"] > 0]
    many = any(d.get("samples", 1) > 1 for _, d in got)
    vals = " · ".join(
        f"{size_label(n)}: {d['max']:.2f} / {d['mean']:.2f} ({d['acq']:.0f}x)" if d["acq"]
        else f"{size_label(n)}: not taken" for n, d in got)
    if many:
        vals += f" (median of {got[0][1]['samples']} loads at each size)"
    if not judged:
        row(label, vals)
        return
    if not taken:
        row(label, vals + "; the lock is not taken at all", "ratio <= 1.2", True)
        return
    first, last = got[0][1], got[-1][1]
    if not first["max"]:
        row(label, vals + "; no ratio: the smallest is below the clock's resolution",
            "ratio <= 1.2", None)
        return
    rmax, rmean = ratio(last["max"], first["max"]), ratio(last["mean"], first["mean"])
    row(label, f"{vals}; ratio {size_label(got[-1][0])}÷{size_label(got[0][0])} "
        f"(list x{got[-1][0] / got[0][0]:.0f}): max {rmax:.2f}, mean {rmean:.2f}",
        "ratio <= 1.2", rmax <= 1.2 and rmean <= 1.2)


for op, what in (("A", "A"), ("D", "D"), ("N", "N")):
    hold_row(f"ima_extend_list_mutex hold during {what}, max / mean us (acquisitions)",
             holds("staging", op))
hold_row("ima_extend_list_mutex hold during D with ima_flush_htable, max / mean us",
         holds("flush", "D"), judged=False)
hold_row("ima_extend_list_mutex hold during kexec -s -p (crash) load, max / mean us",
         holds("staging", "load-p"))
hold_row("ima_extend_list_mutex hold during kexec -s -l load, max / mean us",
         holds("staging", "load-l"))
hold_row("stock: ima_extend_list_mutex hold during kexec -s -p load", holds("stock", "load-p"),
         judged=False)
hold_row("ima_staging_mutex hold during N (the walk to the cut: O(n) by design)",
         holds("staging", "N", "ima_staging_mutex"), judged=False)

# The capture at kexec -e, from the lock events on the console.
cap = {}
for w in lines("capture", "capture"):
    n, lock, t_acq, t_rel = int(w[0]), w[1], float(w[2]), float(w[3])
    us = (t_rel - t_acq) * 1e6
    c = cap.setdefault(n, {}).setdefault(lock, [])
    c.append(us)
if cap:
    sizes = sorted(cap)
    ext = [(n, cap[n].get("ima_extend_list_mutex", [])) for n in sizes]
    got = [(n, {"acq": len(h), "max": max(h) if h else 0,
                "mean": sum(h) / len(h) if h else 0}) for n, h in ext]
    hold_row("ima_extend_list_mutex hold during the capture at kexec -e, max / mean us "
             "(console time stamps, each line's printk included)", got)
else:
    missing("ima_extend_list_mutex hold during the capture at kexec -e",
            "no capture events on the console", "ratio <= 1.2")

# -- latency of one measurement -----------------------------------------------
# In the kernel less the TPM extend (judged), and the open() as user space
# sees it, swtpm's round trip included (shown).
lat = {w[0]: kv(w[1:]) for w in lines("busy", "kernel-latency")}
ulat = {w[0]: kv(w[1:]) for w in lines("busy", "latency")}
if "idle" in lat and "spin" in lat:
    idle, spin = lat["idle"], lat["spin"]
    for mode, what in (("idle", "idle"), ("spin", "while another process spins on "
                                          "/dev/null (the control: a CPU as busy, no IMA lock)")):
        d, u = lat[mode], ulat.get(mode, {})
        row(f"latency of one measurement in the kernel less the TPM extend, {what}: "
            "p50 / p99 / max us",
            f"{d['p50']:.0f} / {d['p99']:.0f} / {d['max']:.0f} ({d['n']:.0f} measurements; "
            f"open() as user space sees it: {u.get('p50', 0):.0f} / {u.get('p99', 0):.0f} / "
            f"{u.get('max', 0):.0f})")
    row("latency, the control ÷ idle: p99 (what a second busy vCPU costs the first on "
        "this host, no IMA lock taken)", f"{ratio(spin['p99'], idle['p99']):.2f}")
    for mode, what in (("AD", "A then D in a loop"), ("N", "N (half the list) in a loop")):
        if mode not in lat:
            missing(f"latency while {what}", "no figure", "p99 <= 1.1x control")
            continue
        b, u = lat[mode], ulat.get(mode, {})
        r, ri = ratio(b["p99"], spin["p99"]), ratio(b["p99"], idle["p99"])
        row(f"latency of one measurement in the kernel less the TPM extend, while another "
            f"process runs {what}: p50 / p99 / max us",
            f"{b['p50']:.0f} / {b['p99']:.0f} / {b['max']:.0f} ({u.get('busy_ok', 0):.0f} "
            f"requests done; open(): {u.get('p50', 0):.0f} / {u.get('p99', 0):.0f} / "
            f"{u.get('max', 0):.0f}); p99 ÷ idle p99 = {ri:.2f} (÷ control p99 = {r:.2f})",
            "p99 <= 1.1x idle", ri <= 1.1)
    waits = [kv(w) for w in lines("busy", "waits", "busy")]
    if waits:
        n = sum(lat[m]["n"] for m in ("AD", "N") if m in lat)
        row("measurements that waited for ima_extend_list_mutex while A, D and N ran "
            "(lock_stat's contention points)",
            f"{waits[0]['measurements']:.0f} of {n:.0f} measurements; requests that waited for "
            f"a measurement (which holds it across the TPM extend, as on stock): "
            f"{waits[0]['requests']:.0f}")
else:
    missing("latency of one measurement, idle and busy", "no figure", "p99 <= 1.1x idle")

costs = {}
for boot in ("staging", "stock"):
    k = [kv(w) for w in lines(boot, "cost", "kernel")]
    u = [kv(w[1:]) for w in lines(boot, "latency", "cost")]
    costs[boot] = (k[0] if k else None, u[0] if u else None)
(sk, su), (tk, tu) = costs["staging"], costs["stock"]
if sk and tk:
    r50, rmean = ratio(sk["p50"], tk["p50"]), ratio(sk["mean"], tk["mean"])
    row("cost of a measurement in the kernel, less the TPM extend (process_measurement "
        "- tpm_pcr_extend, function_graph), series built in and unused ÷ stock: p50, mean us",
        f"staging {sk['p50']:.1f} / {sk['mean']:.1f}, stock {tk['p50']:.1f} / {tk['mean']:.1f} "
        f"({sk['n']:.0f} and {tk['n']:.0f} measurements): ratio p50 {r50:.3f}, mean {rmean:.3f}",
        "p50 <= 1.02", r50 <= 1.02)
else:
    missing("cost of a measurement, series unused ÷ stock", "no figure from "
            + " and ".join(b for b, (k, _) in costs.items() if not k), "<= 1.02")
if su and tu:
    row("the same measurements' open() as user space sees it (TPM extend included), "
        "staging ÷ stock: p50, mean us",
        f"staging {su['p50']:.0f} / {su['mean']:.0f}, stock {tu['p50']:.0f} / {tu['mean']:.0f}: "
        f"ratio p50 {ratio(su['p50'], tu['p50']):.3f}, mean {ratio(su['mean'], tu['mean']):.3f}")

# -- kernel memory --------------------------------------------------------------
def kmem(d):
    """Kernel memory the records take: unreclaimable slab and vmalloc, bytes."""
    return (d["sunreclaim_kb"] + d["vmalloc_kb"]) * 1024


curves = {}
for boot, label in (("stock", "stock 6.1.192"), ("staging", "staging, nothing deleted"),
                    ("export", "staging default, ima-export every {k}"),
                    ("flush", "staging ima_flush_htable, ima-export every {k}")):
    pts = [(int(w[1]), kmem(kv(w[2:])), kv(w[2:])["slab_active_b"])
           for w in lines(boot, "mem", "round")]
    if len(pts) > 1:
        curves[boot] = (label.format(k=size_label(pts[1][0])), pts)


def slope(pts, col=1):
    """Bytes per record, least squares over the rounds after the first."""
    p = pts[1:] if len(pts) > 2 else pts
    xs, ys = [x[0] for x in p], [x[col] for x in p]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else float("nan")


for boot, (label, pts) in curves.items():
    row(f"kernel memory (SUnreclaim + VmallocUsed), {label}: before / after "
        f"{size_label(pts[-1][0])} records; growth per record",
        f"{pts[0][1] / 1024:.0f} KiB / {pts[-1][1] / 1024:.0f} KiB; {slope(pts):.0f} B "
        f"(slab objects in use: {slope(pts, 2):.0f} B)")

def cache_growth(boot):
    """{cache: bytes per record by which its objects in use grew from the
    first round's slab snapshot to the last}, the rounds; None without both."""
    snaps = {int(w[0]): dict(x.split("=") for x in w[1:]) for w in lines(boot, "slabs")}
    pts = curves.get(boot, ("", []))[1]
    if len(snaps) < 2 or len(pts) <= max(snaps):
        return None
    r0, r1 = min(snaps), max(snaps)
    recs = pts[r1][0] - pts[r0][0]
    if not recs:
        return None
    return {c: (int(snaps[r1].get(c, 0)) - int(snaps[r0].get(c, 0))) / recs
            for c in set(snaps[r0]) | set(snaps[r1])}, r0, r1


# Where the bytes kept across the rounds are: the slab caches whose objects
# in use grew most from the first round to the last, per record.
for boot, (label, pts) in curves.items():
    g = cache_growth(boot)
    if not g:
        continue
    grew = sorted(((b, c) for c, b in g[0].items()), reverse=True)
    row(f"slab caches that grew most, {label} (objects in use, round {g[1]} to {g[2]})",
        ", ".join(f"{c} {b:.0f} B" for b, c in grew[:5] if b >= 1) + " per record")

# The documented size, from the series itself (the rst's added lines), so
# that the report needs no unpacked tree.
kept_doc = None
for patch in sorted(glob.glob(os.path.join(top, "patches", "*.patch"))):
    with open(patch) as f:
        text = f.read()
    if "Documentation/security/IMA-export-delete.rst" in text:
        m = re.search(r"in a (\d+)-byte slab\s+object", text)
        kept_doc = int(m.group(1)) if m else kept_doc


if "export" in curves:
    # Judged on the kmalloc caches, where a record's objects are (queue
    # entry, template entry, digests, field data); the exporter's store on
    # tmpfs, in the same kernel, grows inode and radix-tree caches.  The
    # pages also hold the slab's packing: a 4 KiB page holds 42 objects of
    # 96 bytes, 97.5 bytes of page a record at best.
    k, obj = slope(curves["export"][1]), slope(curves["export"][1], 2)
    g = cache_growth("export")
    km = sum(b for c, b in g[0].items() if c.startswith("kmalloc-")) if g else None
    thr = f"<= {kept_doc} B (queue entry and digest, IMA-export-delete.rst)" if kept_doc else \
        "<= queue entry + digest (no size found in IMA-export-delete.rst)"
    if km is None:
        missing("default mode: bytes kept per deleted record", "no slab snapshots", thr)
    else:
        row("default mode: bytes kept per deleted record (growth per record with an export "
            f"every {size_label(curves['export'][1][1][0])}): the kmalloc caches' objects in use",
            f"{km:.1f} B in kmalloc caches; all slab objects {obj:.1f} B (the exporter's store "
            f"included); {k:.0f} B of unreclaimable slab pages and vmalloc",
            thr, kept_doc is not None and km <= kept_doc)
else:
    missing("default mode: bytes kept per deleted record", "no figure", "<= queue entry + digest")
if "staging" in curves and "stock" in curves:
    sg, st = slope(curves["staging"][1]), slope(curves["stock"][1])
    row("memory per record with nothing deleted, staging default ÷ stock (the queue entry "
        "keeps a copy of the digest for the hash table)",
        f"{sg:.0f} B ÷ {st:.0f} B = {ratio(sg, st):.3f}")
if "flush" in curves and "staging" in curves:
    full, left = slope(curves["staging"][1]), slope(curves["flush"][1])
    back = 1 - left / full
    row("ima_flush_htable: share of the records' memory given back "
        "(1 - growth with exports ÷ growth without)",
        f"{back * 100:.1f}% ({left:.0f} B kept of {full:.0f} B per record)", ">= 98%", back >= 0.98)
else:
    missing("ima_flush_htable: memory given back", "no figure", ">= 98%")
for boot in ("export", "flush"):
    meas = lines(boot, "mem", "measured")
    done = {w[0]: w for w in lines(boot, "mem", "round")}
    if meas and meas[-1][0] in done:
        r = meas[-1][0]
        before = done.get(str(int(r) - 1))
        row(f"kernel memory in the last round of the {boot} boot: before / after measuring "
            f"{int(meas[-1][1]) - int(before[1]) if before else 0} records / after the export's D",
            (f"{kmem(kv(before[2:])) / 1024:.0f} KiB / " if before else "? / ")
            + f"{kmem(kv(meas[-1][2:])) / 1024:.0f} KiB / {kmem(kv(done[r][2:])) / 1024:.0f} KiB")
for boot in ("staging", "flush"):
    d = lines(boot, "mem", "after-D")
    if d:
        row(f"kernel memory after D in the sweep ({boot} boot)",
            " · ".join(f"{size_label(int(w[0]))}: {kmem(kv(w[1:])) / 1024:.0f} KiB" for w in d))

# -- reads, kexec, exporter ---------------------------------------------------
reads = {}
for w in lines("staging", "read"):
    reads.setdefault(int(w[1]), {})[w[0]] = kv(w[2:])
if reads:
    parts, worst = [], None
    for n in sorted(reads):
        r = reads[n]
        if "orig" in r and "staged" in r:
            q = ratio(r["staged"]["mb_s"], r["orig"]["mb_s"])
            worst = q if worst is None else min(worst, q)
            parts.append(f"{size_label(n)}: {r['staged']['mb_s']:.1f} vs {r['orig']['mb_s']:.1f}"
                         f" MB/s ({q:.2f})")
    row("read throughput of binary_runtime_measurements_staged vs the original file, "
        "same records (best of 5)", " · ".join(parts), ">= 0.9x", worst is not None and worst >= 0.9)
else:
    missing("read throughput _staged vs original", "no figure", ">= 0.9x")

if cap:
    row("capture at kexec -e (ima_staging_mutex held: suspend and copy of staged ++ current)",
        " · ".join(f"{size_label(n)}: {max(cap[n].get('ima_staging_mutex', [0])):.0f} us"
                   for n in sorted(cap)))
    dumps = {}
    for w in lines("stock", "dump", "l"):
        if w[2] != "none":
            dumps.setdefault(int(w[0]), []).append(float(w[2]))
    pairs = []
    for n in sorted(cap):
        # the stock load nearest in size (the chain's sizes include the
        # records the kexec'd kernels add)
        near = min(dumps, key=lambda d: abs(d - n), default=None)
        if near and abs(near - n) <= 0.1 * n:
            c = max(cap[n].get("ima_staging_mutex", [0]))
            pairs.append(f"{size_label(n)}: {c:.0f} vs {median(dumps[near]):.0f} us "
                         f"({ratio(c, median(dumps[near])):.2f})")
    if pairs:
        row("capture at kexec -e (staging) vs the dump of the same size of list at kexec -s -l "
            "load (stock)", " · ".join(pairs))
for boot, what in (("stock", "stock 6.1.192 (CONFIG_IMA_STAGING absent): dump of the list at "
                    "kexec -s -l load (ima_add_kexec_buffer, function_graph)"),
                   ("staging", "staging: kexec -s -l load, empty placeholder "
                    "(ima_add_kexec_buffer)")):
    by_size = {}
    for w in lines(boot, "dump", "l"):
        if w[2] != "none":
            by_size.setdefault(int(w[0]), []).append(float(w[2]))
    if by_size:
        row(what + ", median of the loads at each size",
            " · ".join(f"{size_label(n)}: {median(t):.0f} us" for n, t in sorted(by_size.items())))

exp = lines("export", "export")
if exp:
    recs = sum(float(w[1]) for w in exp)
    secs = sum(float(w[3]) for w in exp) / 1000
    row("ima-export export: records per second (A, read, store on tmpfs, D; "
        f"{len(exp)} exports of {exp[0][1]})", f"{recs / secs:.0f} records/s")
else:
    missing("ima-export export: records per second", "no figure")
view = {w[0]: (int(w[1]), kv(w[2:])) for w in lines("export", "read")}
if all(k in view for k in ("raw-bin", "view-bin", "raw-ascii", "view-ascii")):
    row(f"ima-export's FUSE view read throughput vs the raw file, same {view['raw-bin'][0]} "
        "records (best of 5): binary, ascii",
        " · ".join(f"{kind}: {view['view-' + kind][1]['mb_s']:.1f} vs "
                   f"{view['raw-' + kind][1]['mb_s']:.1f} MB/s "
                   f"({ratio(view['view-' + kind][1]['mb_s'], view['raw-' + kind][1]['mb_s']):.2f})"
                   for kind in ("bin", "ascii")))
else:
    missing("ima-export's FUSE view read throughput vs the raw file", "no figure")

# -- the view on the host (scripts/bench-view.sh) ------------------------------
vh = {int(w[0]): kv(w[1:]) for w in lines("view", "view")}
VIEW_MAX_KIB = 16 * 1024
if len(vh) >= 2:
    lo, hi = min(vh), max(vh)
    per_rec = (vh[hi]["hwm_kib"] - vh[lo]["hwm_kib"]) * 1024 / (hi - lo)
    peak = max(max(v["hwm_kib"], v["hwm_remount_kib"]) for v in vh.values())
    row("ima-export view memory on a generated store (host; "
        f"{vh[hi]['bin_bytes'] / hi:.0f} B binary + {vh[hi]['ascii_bytes'] / hi:.0f} B ascii a record): "
        "RSS after mount / peak after reading every byte, and after a remount",
        " · ".join(f"{size_label(n)}: {v['rss_mount_kib'] / 1024:.1f} / {v['hwm_kib'] / 1024:.1f} MiB, "
                   f"remount {v['rss_remount_kib'] / 1024:.1f} / {v['hwm_remount_kib'] / 1024:.1f} MiB"
                   for n, v in sorted(vh.items()))
        + f"; growth {per_rec:.2f} B per record",
        "peak < 16 MiB, growth < 8 B per record", peak < VIEW_MAX_KIB and per_rec < 8)
    v = vh[hi]
    row(f"ima-export view (re)mount time, {size_label(hi)} records in {v['chunks']:.0f} chunks "
        "(page cache dropped first / warm)", f"{v['mount_ms']:.0f} ms / {v['remount_ms']:.0f} ms")
    row(f"ima-export view pread of 4 KiB at 2000 random offsets, {size_label(hi)} records: p50 / p99",
        f"binary {v['pread_bin_p50_us']:.0f} / {v['pread_bin_p99_us']:.0f} us · "
        f"ascii {v['pread_ascii_p50_us']:.0f} / {v['pread_ascii_p99_us']:.0f} us")
    row(f"ima-export view sequential read, {size_label(hi)} records: binary vs the same bytes "
        "read from the chunk files; ascii (rendered when read)",
        f"{v['bin_mb_s']:.0f} vs {v['raw_mb_s']:.0f} MB/s "
        f"({ratio(v['bin_mb_s'], v['raw_mb_s']):.2f}); ascii {v['ascii_mb_s']:.1f} MB/s")
    # what a user pays per exported record, kernel and view together
    if "stock" in curves:
        st = slope(curves["stock"][1])
        parts = []
        for boot, label in (("export", "default"), ("flush", "ima_flush_htable")):
            if boot in curves:
                k, pv = slope(curves[boot][1]), max(per_rec, 0.0)
                parts.append(f"{label}: {k:.0f} B kernel + {pv:.1f} B view = {k + pv:.0f} B "
                             f"({ratio(k + pv, st) * 100:.0f}% of stock)")
        row(f"memory per exported record, kernel (unreclaimable slab and vmalloc, guest) + view "
            f"(peak RSS growth, host) against stock's {st:.0f} B per record", " · ".join(parts)
            if parts else "no kernel figure")
    else:
        missing("memory per exported record, kernel + view, against stock", "no stock figure")
else:
    missing("ima-export view memory on a generated store", "no figure (scripts/bench-view.sh)",
            "peak < 16 MiB, growth < 8 B per record")

# -- the store's journal on the host (scripts/bench-journal.sh) ---------------
jh = {int(w[0]): kv(w[1:]) for w in lines("journal", "journal")}
if len(jh) >= 2:
    lo, hi = min(jh), max(jh)
    for key, first, what in (
            ("export_ms", "first_export_ms",
             "one export of 100 records (open, A, store, D, fsyncs; the first one seals)"),
            ("parse_ms", "parse_first_ms",
             "a reader's open of the store (the view's refresh; the first open reads every journal)")):
        row(f"ima-export {what}: a store of {lo} chunk vs {hi} chunks "
            f"({jh[hi]['journal_bytes'] / 1e6:.1f} MB of journal, host)",
            f"{jh[lo][key]:.1f} ms vs {jh[hi][key]:.1f} ms (first: {jh[lo][first]:.1f} ms vs "
            f"{jh[hi][first]:.1f} ms)",
            "independent of the store's age (issue 23): within 100 ms of the 1-chunk store "
            "(fsync latency varies more than that on a busy disk)",
            jh[hi][key] <= jh[lo][key] + 100)
else:
    missing("ima-export export and journal read time against the store's age",
            "no figure (scripts/bench-journal.sh)",
            "independent of the store's age (issue 23): within 100 ms of the 1-chunk store")

rate = [kv(w) for w in lines("staging", "rate")]
if rate:
    row("records added by ima-bench under TCG (for scale)",
        f"{sum(r['records'] for r in rate) / sum(r['seconds'] for r in rate):.0f} records/s")

with open(os.path.join(out, "results.md"), "w") as f:
    f.write("| figure | value | threshold | result |\n|---|---|---|---|\n")
    for r in rows:
        f.write("| " + " | ".join(c.replace("|", "/") for c in r) + " |\n")

# -- the plot -------------------------------------------------------------------
if curves:
    plots = []
    for boot, (label, pts) in curves.items():
        data = os.path.join(out, "raw", f"memory-{boot}.dat")
        with open(data, "w") as f:
            for x, y, _ in pts:
                f.write(f"{x} {(y - pts[0][1]) / 1024:.1f}\n")
        plots.append(f"'{data}' using 1:2 with linespoints title '{label}'")
    script = f"""set terminal pngcairo size 900,560 font ",11"
set output '{out}/memory.png'
set termoption noenhanced
set title 'Kernel memory taken by IMA records (unreclaimable slab + vmalloc, growth since the start)'
set xlabel 'records measured'
set ylabel 'KiB'
set key left top
set grid
plot {", ".join(plots)}
"""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"bench-report: no plot: {e}", file=sys.stderr)
