#!/usr/bin/env python3
"""What rounding activations to int8 costs (formats/quantization.md, "Execution"): every golden
model in golden/models, quantized with RTN as int8, int4 g32 and int4 g128, verified against its
PyTorch golden (golden/cases) with float activations (--activations float) and with int8
activations (--activations int8; the default, auto, rounds them for int4 layers only). Prints a markdown table of mean KL (nats) and top-1 agreement of the logits, per case.

Usage: scripts/activation-error.py [--vlmkit .build/release/vlmkit] [--work /tmp/vlmkit-act]
"""
import argparse, glob, json, os, shutil, subprocess, sys

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--vlmkit", default=".build/release/vlmkit")
ap.add_argument("--work", default="/tmp/vlmkit-act")
a = ap.parse_args()
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
v = os.path.abspath(a.vlmkit)
shutil.rmtree(a.work, ignore_errors=True)
os.makedirs(a.work)


def logits(model, golden, extra):
    r = subprocess.run([v, "verify", model, "--golden", golden, "--json", "--max-rel", "1e9", "--max-kl", "1e9",
                        "--min-top1", "0", "--ignore-generated"] + extra, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"activation-error: verify {model} failed: {r.stderr.strip()}")
    m = next(s for s in json.loads(r.stdout)["stages"] if s["stage"] == "logits")["metrics"]
    return m["mean_kl"], m["top1_agreement"]


print("| golden | scheme | KL exact | KL int8 act. | top-1 exact | top-1 int8 act. |")
print("|---|---|---|---|---|---|")
for golden in sorted(glob.glob(os.path.join(root, "golden/cases/*.golden.safetensors"))):
    case = os.path.basename(golden)[: -len(".golden.safetensors")]
    name = case.split(".")[0]
    model = os.path.join(root, "golden/models", name)
    if not os.path.isdir(model):
        continue
    kl0, t0 = logits(model, golden, [])
    print(f"| {case} | float checkpoint | {kl0:.2e} | — | {t0:.3f} | — |")
    for label, args in [("int8", ["--scheme", "int8"]), ("int4 g32", ["--scheme", "int4", "-g", "32"]),
                        ("int4 g128", ["--scheme", "int4", "-g", "128"])]:
        out = os.path.join(a.work, case + "-" + label.replace(" ", "-"))
        r = subprocess.run([v, "quantize", model, "-o", out] + args, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"| {case} | {label} | not quantizable: {r.stderr.strip().splitlines()[-1]} | | | |")
            continue
        ke, te = logits(out, golden, ["--activations", "float"])
        ki, ti = logits(out, golden, ["--activations", "int8"])
        print(f"| {case} | {label} | {ke:.2e} | {ki:.2e} | {te:.3f} | {ti:.3f} |")
        shutil.rmtree(out)
