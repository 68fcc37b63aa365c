#!/usr/bin/env python3
"""VLMKit's benchmark beside llama.cpp (issue 8). Run through scripts/bench, which builds vlmkit in
release mode and provides a Python with llama-cpp-python (the llama.cpp quantizer and runtime).

Everything runs on synthetic checkpoints (`vlmkit synthesize`: random weights, real shapes), in one
run, on the same machine, with the same thread count. Prints a markdown table (ours, the anchor,
the ratio) and writes the raw figures as JSON. Speed is measured here, never in tests.
"""
import argparse
import json
import os
import platform
import shutil
import struct
import subprocess
import sys
import time

GIB = 1 << 30
MB = 1e6


def run(cmd):
    """Runs a command; returns (seconds, stdout, stderr)."""
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{p.stderr}")
    return time.time() - t, p.stdout, p.stderr


def run_rss(cmd):
    """Runs a command and returns (seconds, peak RSS bytes, stdout) using wait4's ru_maxrss."""
    t = time.time()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    seconds = time.time() - t
    if status != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed with status {status}")
    return seconds, ru.ru_maxrss * 1024, out.decode()


def drop_caches() -> bool:
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def safetensors_sizes(folder):
    """Total bytes of .safetensors files under folder and the largest tensor (from the headers)."""
    total, largest = 0, 0
    for root, _, files in os.walk(folder):
        for name in files:
            if not name.endswith(".safetensors"):
                continue
            path = os.path.join(root, name)
            total += os.path.getsize(path)
            with open(path, "rb") as f:
                n = struct.unpack("<Q", f.read(8))[0]
                header = json.loads(f.read(n))
            for k, v in header.items():
                if k != "__metadata__":
                    largest = max(largest, v["data_offsets"][1] - v["data_offsets"][0])
    return total, largest


def llamacpp_quantize(src, dst, ftype_name, threads):
    """llama.cpp's quantizer (llama_model_quantize) in a child process, timed there."""
    code = f"""
import time, llama_cpp
p = llama_cpp.llama_model_quantize_default_params()
p.nthread = {threads}
p.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_{ftype_name}
t = time.time()
rc = llama_cpp.llama_model_quantize({src!r}.encode(), {dst!r}.encode(), p)
print(time.time() - t if rc == 0 else -1)
"""
    seconds, rss, out = run_rss([sys.executable, "-c", code])
    inner = float(out.strip().splitlines()[-1])
    if inner < 0:
        sys.exit(f"bench: llama.cpp could not quantize {src} to {ftype_name}")
    return inner, rss


def llamacpp_runtime(gguf, threads, prompt, decode):
    code = f"""
import json, random, time, llama_cpp
llm = llama_cpp.Llama(model_path={gguf!r}, n_threads={threads}, n_threads_batch={threads}, n_ctx={prompt + decode + 16},
                      n_batch={prompt}, n_ubatch={prompt}, verbose=False)
random.seed(0)
ids = [random.randrange(0, 30000) for _ in range({prompt})]
llm.eval(ids[:8]); llm.reset()  # warm up
t = time.time(); llm.eval(ids); prefill = time.time() - t
t = time.time()
for i in range({decode}):
    llm.eval([ids[i % len(ids)]])
decode = time.time() - t
print(json.dumps({{"prefill_seconds": prefill, "decode_seconds": decode}}))
"""
    _, rss, out = run_rss([sys.executable, "-c", code])
    return json.loads(out.strip().splitlines()[-1])


def calibration_ids(path, tokens, vocab):
    import random
    random.seed(1)
    with open(path, "w") as f:
        f.write(" ".join(str(random.randrange(0, min(vocab, 30000))) for _ in range(tokens)))


def sizes_phase(v, T, W, preset, awq, rows, results, save):
    """Issue 15: one real-size preset end to end, each step's time and peak RSS (wait4), the
    runner's anonymous memory after decoding. Outputs are removed as soon as they are measured."""
    model = W(preset)
    gib = lambda b: f"{b / GIB:.2f} GiB"
    r = results.setdefault(f"sizes.{preset}", {})
    if not os.path.exists(model):
        s, rss, _ = run_rss([v, "synthesize", "--preset", preset, "-o", model])
        r["synthesize"] = dict(seconds=s, peak_rss=rss)
    total, _ = safetensors_sizes(model)
    r["bytes"] = total

    def step(label, cmd, anchor="", out=None):
        if out:
            shutil.rmtree(out, ignore_errors=True) if os.path.isdir(out) else (os.remove(out) if os.path.exists(out) else None)
        s, rss, stdout = run_rss(cmd)
        rows.append((f"{preset} ({gib(total)} f16): {label}", f"{s:.1f} s, peak RSS {gib(rss)}", anchor, "", ""))
        r[label] = dict(seconds=s, peak_rss=rss)
        save()
        return s, rss, stdout

    step("inspect", [v, "inspect", model])
    drop_caches()
    cp_s, _, _ = run_rss(["cp", "-r", model, W(preset + "-copy")])
    shutil.rmtree(W(preset + "-copy"))
    r["cp_seconds"] = cp_s
    q4, q8 = W(preset + "-int4"), W(preset + "-int8")
    step("quantize int4 g128 RTN", [v, "quantize", model, "-o", q4, "--scheme", "int4", "-g", "128", "--threads", str(T)], out=q4)
    # Issue 18: the int4 folder as AutoAWQ GEMM safetensors and back (import); the round trip must give the same bytes.
    awqx, back = W(preset + "-autoawq"), W(preset + "-imported")
    step("export AutoAWQ GEMM (from the int4 folder)", [v, "export", q4, "--format", "autoawq", "-o", awqx],
         anchor=f"cp of the f16 checkpoint {cp_s:.1f} s", out=awqx)
    step("import AutoAWQ GEMM (to a quantized folder)", [v, "import", awqx, "-o", back, "--threads", str(T)],
         anchor=f"cp of the f16 checkpoint {cp_s:.1f} s", out=back)
    same = subprocess.run(["cmp", os.path.join(q4, "model.safetensors"), os.path.join(back, "model.safetensors")]).returncode == 0
    rows.append((f"{preset}: import of the AutoAWQ export", "bit-identical to the int4 folder" if same else "DIFFERS from the int4 folder", "", "", ""))
    r["autoawq round trip identical"] = same
    shutil.rmtree(awqx)
    shutil.rmtree(back)
    step("quantize int8 RTN", [v, "quantize", model, "-o", q8, "--scheme", "int8", "--threads", str(T)], out=q8)
    shutil.rmtree(q8)
    if awq:
        ids = W("calib-8192.txt")
        calibration_ids(ids, 8192, 32000)
        qa = W(preset + "-awq")
        shutil.rmtree(qa + ".awq-run", ignore_errors=True)
        step("AWQ int4 g128, 8192 tokens", [v, "quantize", model, "-o", qa, "--scheme", "int4", "-g", "128", "--method", "awq",
                                            "--calibration", ids, "--calibration-tokens", "8192", "--threads", str(T)], out=qa)
        shutil.rmtree(qa)
    drop_caches()
    step("export bundle (from the int4 folder)", [v, "export", q4, "-o", W(preset + ".vlmb")],
         anchor=f"cp of the f16 checkpoint {cp_s:.1f} s", out=W(preset + ".vlmb"))
    drop_caches()
    step("export GGUF q4_0 (from f16)", [v, "export", model, "--format", "gguf", "--type", "q4_0", "-o", W(preset + ".gguf")],
         out=W(preset + ".gguf"))
    os.remove(W(preset + ".gguf"))
    for label, m in (("int4 folder", q4), ("int4 bundle", W(preset + ".vlmb"))):
        _, rss, out = run_rss([v, "bench", m, "--images", "1", "--prompt-tokens", "32", "--decode-tokens", "32", "--threads", str(T), "--json"])
        b = json.loads(out)
        anon = b["memory"]["rss_anon_bytes"]
        size = os.path.getsize(m) if m.endswith(".vlmb") else safetensors_sizes(m)[0]
        rows.append((f"{preset}: run {label}, 1 image + 32-token prompt, 32 decoded",
                     f"vision {b['vision_ms_per_image'] / 1000:.1f} s, prefill {32 / b['prefill_seconds']:.2f} tok/s, decode {32 / b['decode_seconds']:.2f} tok/s",
                     f"RssAnon {gib(anon)} (bound 0.25 × {gib(size)} + 512 MiB = {gib(size / 4 + 512 * (1 << 20))}); peak RSS {gib(rss)}",
                     f"{anon / (size / 4 + 512 * (1 << 20)):.2f}", "≤ 1.0"))
        r[f"run {label}"] = dict(bench=b, peak_rss=rss, model_bytes=size)
        save()
    os.remove(W(preset + ".vlmb"))
    shutil.rmtree(q4)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vlmkit", default=".build/release/vlmkit")
    ap.add_argument("--work", default="/tmp/vlmkit-bench", help="folder for the synthetic models and outputs")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt", type=int, default=128, help="prefill tokens")
    ap.add_argument("--decode", type=int, default=32, help="decode tokens")
    ap.add_argument("--conversion-presets", default="llama-1b,vila1.5-3b")
    ap.add_argument("--awq", action="store_true", help="also time AWQ on the ~1B model with 8192 calibration tokens (~15 min)")
    ap.add_argument("--json", default="bench-results.json")
    ap.add_argument("--phases", default="conversion,quantization,runner",
                    help="comma-separated subset of conversion,quantization,runner,sizes (runner needs quantization's "
                         "outputs; sizes, never by default, runs the real-size presets below end to end)")
    ap.add_argument("--size-presets", default="vila-7b,vila1.5-13b", help="presets of the sizes phase (issue 15)")
    ap.add_argument("--preset", default="llama-1b", help="model of the quantization and runner phases (vila-7b: the 7B goal rows)")
    ap.add_argument("--anchors", default="F16,Q4_0,Q8_0",
                    help="llama.cpp types to compare with; our schemes and runner cases whose anchor is not listed are skipped "
                         "(a 7B shape with all three needs ~50 GB of disk; Q4_0 alone ~35 GB)")
    ap.add_argument("--size-awq", action="store_true", help="sizes phase: also AWQ int4 g128 with 8192 calibration tokens (hours)")
    a = ap.parse_args()
    v, T = os.path.abspath(a.vlmkit), a.threads
    os.makedirs(a.work, exist_ok=True)
    W = lambda *p: os.path.join(a.work, *p)
    results = {"machine": platform.processor() or platform.machine(), "threads": T, "date": time.strftime("%Y-%m-%d"),
               "cpu": open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(": \t") if os.path.exists("/proc/cpuinfo") else "",
               "cold_cache": drop_caches()}
    rows = []

    def save():
        results["rows"] = rows
        with open(a.json, "w") as f:
            json.dump(results, f, indent=2)

    # 1. Conversion: safetensors f16 → bundle f16, against cp of the same bytes.
    phases = set(a.phases.split(","))
    for preset in (a.conversion_presets.split(",") if "conversion" in phases else []):
        model = W(preset)
        if not os.path.exists(model):
            run([v, "synthesize", "--preset", preset, "-o", model])
        total, largest = safetensors_sizes(model)
        shutil.rmtree(W(preset + "-copy"), ignore_errors=True)
        # Each side cold (page cache dropped), then at once again warm (the source in the cache);
        # cp neither hashes nor fsyncs, so the time of a `sync` after it is recorded beside it.
        def timed_cp():
            cp_s, _, _ = run_rss(["cp", "-r", model, W(preset + "-copy")])
            sync_s, _, _ = run_rss(["sync"])
            shutil.rmtree(W(preset + "-copy"))
            return cp_s, sync_s
        def timed_export():
            if os.path.exists(W(preset + ".vlmb")):
                os.remove(W(preset + ".vlmb"))
            s, rss, _ = run_rss([v, "export", model, "-o", W(preset + ".vlmb")])
            os.remove(W(preset + ".vlmb"))
            run_rss(["sync"])
            return s, rss
        drop_caches()
        cp_s, cp_sync = timed_cp()
        cp_warm, cp_warm_sync = timed_cp()
        drop_caches()
        ex_s, ex_rss = timed_export()
        ex_warm, _ = timed_export()
        bound = 2 * largest + 256 * (1 << 20)
        for cache, ours_s, theirs_s, sync_s in (("cold", ex_s, cp_s, cp_sync), ("warm", ex_warm, cp_warm, cp_warm_sync)):
            rows.append((f"conversion {preset} ({total / GIB:.2f} GiB f16 → bundle, fsynced), {cache} cache", f"{total / MB / ours_s:.0f} MB/s ({ours_s:.1f} s)",
                         f"cp {total / MB / theirs_s:.0f} MB/s ({theirs_s:.1f} s; + sync {sync_s:.1f} s)", f"{theirs_s / ours_s:.2f}", "≥ 0.5"))
        rows.append((f"conversion {preset} peak RSS", f"{ex_rss / (1 << 20):.0f} MiB", f"2 × largest tensor + 256 MiB = {bound / (1 << 20):.0f} MiB",
                     f"{ex_rss / bound:.2f}", "≤ 1.0"))
        results[f"conversion.{preset}"] = dict(bytes=total, largest_tensor=largest, cp_seconds=cp_s, cp_sync_seconds=cp_sync, cp_warm_seconds=cp_warm,
                                                cp_warm_sync_seconds=cp_warm_sync, export_seconds=ex_s, export_warm_seconds=ex_warm, export_peak_rss=ex_rss)
        save()

    # 2. Quantization of the ~1B model, ours against llama.cpp's quantizer (same threads).
    P, anchors_wanted = a.preset, set(a.anchors.split(","))
    model = W(P)
    if not os.path.exists(model) and phases & {"quantization", "runner"}:
        run([v, "synthesize", "--preset", P, "-o", model])
    total, _ = safetensors_sizes(model) if os.path.exists(model) else (0, 0)
    gguf = W(f"{P}-f16.gguf")
    if not os.path.exists(gguf) and phases & {"quantization", "runner"}:
        run([v, "export", model, "--format", "gguf", "--type", "f16", "-o", gguf])
    gsize = os.path.getsize(gguf) if os.path.exists(gguf) else 0
    lc = {}
    for ft in ([t for t in ("Q4_0", "Q8_0") if t in anchors_wanted] if "quantization" in phases else []):
        out = W(f"{P}-{ft.lower()}.gguf")
        if os.path.exists(out):
            os.remove(out)
        drop_caches()
        cold = llamacpp_quantize(gguf, out, ft, T)
        os.remove(out)
        lc[ft] = (cold[0], llamacpp_quantize(gguf, out, ft, T)[0])  # (cold, warm: the input now in the page cache)
    # The last one stores what Q4_0 stores (4 bits + an f16 scale per 32 weights, no zero-point)
    # and, like llama.cpp's Q4_0 files (Q6_K), a quantized output layer: the same bytes per token.
    for label, args, anchor, folder in ([("int4 g32 RTN", ["--scheme", "int4", "-g", "32"], "Q4_0", "int4-g32-RTN"),
                                         ("int4 g128 RTN", ["--scheme", "int4", "-g", "128"], "Q4_0", "int4-g128-RTN"),
                                         ("int8 RTN", ["--scheme", "int8"], "Q8_0", "int8-RTN"),
                                         ("int4 g32 symmetric + int8 lm_head RTN", ["--scheme", "int4", "-g", "32", "--symmetric",
                                          "--scheme-for", "llm.lm_head=int8"], "Q4_0", "int4-g32-sym-lmh8")]
                                        if "quantization" in phases else []):
        if anchor not in anchors_wanted:
            continue
        out = W(f"{P}-{folder}")
        shutil.rmtree(out, ignore_errors=True)
        drop_caches()
        s, rss, _ = run_rss([v, "quantize", model, "-o", out, *args, "--threads", str(T)])
        shutil.rmtree(out)
        warm, _, _ = run_rss([v, "quantize", model, "-o", out, *args, "--threads", str(T)])
        for cache, ours_s, theirs_s in (("cold", s, lc[anchor][0]), ("warm", warm, lc[anchor][1])):
            ours, theirs = total / MB / ours_s, gsize / MB / theirs_s
            rows.append((f"quantize {P} {label}, {cache} cache", f"{ours:.0f} MB/s ({ours_s:.1f} s)",
                         f"llama.cpp {anchor} {theirs:.0f} MB/s ({theirs_s:.1f} s)", f"{ours / theirs:.2f}", "≥ 1.0"))
        results[f"quantize.{label}"] = dict(seconds=s, warm_seconds=warm, peak_rss=rss, input_bytes=total, llamacpp_seconds=lc[anchor][0],
                                            llamacpp_warm_seconds=lc[anchor][1], llamacpp_input_bytes=gsize)
        if "g128" in label:
            shutil.rmtree(out)  # no runner case uses it; a 7B one is 3.8 GB
        save()

    # 3. AWQ (optional: ~15 minutes).
    if a.awq:
        ids = W("calib-8192.txt")
        import random
        random.seed(1)
        with open(ids, "w") as f:
            f.write(" ".join(str(random.randrange(0, 30000)) for _ in range(8192)))
        out = W(f"{P}-awq")
        shutil.rmtree(out, ignore_errors=True)
        s, rss, _ = run_rss([v, "quantize", model, "-o", out, "--scheme", "int4", "-g", "128", "--method", "awq",
                             "--calibration", ids, "--calibration-tokens", "8192", "--threads", str(T)])
        rows.append(("AWQ ~1B int4 g128, 8192 tokens", f"{s / 60:.1f} min, peak RSS {rss / GIB:.1f} GiB", "target 15 min", f"{s / 900:.2f}", "≤ 1.0"))
        results["awq"] = dict(seconds=s, peak_rss=rss)
        save()

    # 4. Runner: ours on f16 / int8 / int4 g32, each quantized one with float activations (--exact) and
    # with int8 activations (integer dots), llama.cpp on the GGUF of the same LLM (f16 / Q8_0 / Q4_0).
    runner_cases = [("f16", model, gguf, "F16", []),
                    ("int8, float act. (default)", W(f"{P}-int8-RTN"), W(f"{P}-q8_0.gguf"), "Q8_0", ["--activations", "float"]),
                    ("int8, int8 act.", W(f"{P}-int8-RTN"), W(f"{P}-q8_0.gguf"), "Q8_0", ["--activations", "int8"]),
                    ("int4 g32, float act.", W(f"{P}-int4-g32-RTN"), W(f"{P}-q4_0.gguf"), "Q4_0", ["--activations", "float"]),
                    ("int4 g32, int8 act. (default)", W(f"{P}-int4-g32-RTN"), W(f"{P}-q4_0.gguf"), "Q4_0", ["--activations", "int8"]),
                    ("int4 g32 symmetric + int8 lm_head (Q4_0's bytes), default act.", W(f"{P}-int4-g32-sym-lmh8"), W(f"{P}-q4_0.gguf"),
                     "Q4_0", [])]
    runner_cases = [c for c in runner_cases if c[3] in anchors_wanted]
    anchors = {}
    for label, ours_model, anchor_gguf, anchor_name, extra in (runner_cases if "runner" in phases else []):
        _, rss, out = run_rss([v, "bench", ours_model, "--images", "1" if label == "f16" else "0", "--prompt-tokens", str(a.prompt),
                               "--decode-tokens", str(a.decode), "--threads", str(T), "--json"] + extra)
        b = json.loads(out)
        if anchor_gguf not in anchors:
            anchors[anchor_gguf] = llamacpp_runtime(anchor_gguf, T, a.prompt, a.decode)
        lcr = anchors[anchor_gguf]
        ours_pf, theirs_pf = a.prompt / b["prefill_seconds"], a.prompt / lcr["prefill_seconds"]
        ours_dc, theirs_dc = a.decode / b["decode_seconds"], a.decode / lcr["decode_seconds"]
        sg = b["prefill_gflops"] / b["prefill_sgemm_seconds"]
        rows.append((f"prefill {a.prompt} tok, {label}", f"{ours_pf:.1f} tok/s = {b['prefill_gflops'] / b['prefill_seconds']:.1f} GFLOP/s",
                     f"sgemm alone {sg:.1f} GFLOP/s (llama.cpp {anchor_name}: {theirs_pf:.1f} tok/s)",
                     f"{(b['prefill_gflops'] / b['prefill_seconds']) / sg:.2f} ({ours_pf / theirs_pf:.2f} vs llama.cpp)", "≥ 0.8 of llama.cpp"))
        rows.append((f"decode {a.decode} tok, {label}", f"{ours_dc:.2f} tok/s", f"llama.cpp {anchor_name} {theirs_dc:.2f} tok/s",
                     f"{ours_dc / theirs_dc:.2f}", "≥ 1.0" if label != "f16" else "—"))
        if label == "f16":
            vs = b["vision_gflops"] / (b["vision_sgemm_ms"] / 1000)
            vo = b["vision_gflops"] / (b["vision_ms_per_image"] / 1000)
            rows.append(("vision encode (CLIP ViT-L/14-336), 1 image", f"{b['vision_ms_per_image']:.0f} ms = {vo:.1f} GFLOP/s",
                         f"sgemm alone {vs:.1f} GFLOP/s", f"{vo / vs:.2f}", "≥ 0.8"))
        results[f"runner.{label}"] = dict(ours=b, llamacpp=lcr, ours_peak_rss=rss)
        save()

    if "sizes" in phases:
        for preset in a.size_presets.split(","):
            sizes_phase(v, T, W, preset, a.size_awq, rows, results, save)

    print(f"\nvlmkit bench — {results['cpu']} — {T} threads — {results['date']} — cold cache: {results['cold_cache']}\n")
    print("| measure | ours | anchor | ratio | target |")
    print("|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    save()


if __name__ == "__main__":
    main()
