"""The goals of bench/directory.py and the tables that say whether a run met them.

A run is {database kind: {providers: measured}}, where measured holds "results" (scenario
key -> wrk result: rps, p50_us, p99_us, non2xx, errors, other_cpus, paths, note),
"seed_seconds" (None when a seeded database was reused), "seed_note" and "page_bytes"
({path: bytes} of the first load of /providers).
"""
from measuring import NOISE_CPUS

# (key, label) in the order measured and shown.
SCENARIOS = [
    ("bare", "bare Flask (`/hello`)"),
    ("trivial", "trivial page (`/healthz`)"),
    ("search", "state + payer + accepting"),
    ("search+zip", "+ zip + radius"),
    ("search+zip+text", "+ free text"),
    ("search+zip+common", "+ free text, common words"),
    ("profile", "profile"),
]
LABELS = dict(SCENARIOS)
GOAL_VS_TRIVIAL = 0.5        # searches and the profile: requests/s against the trivial page
GOAL_P99_TIMES = 2.0         # ... with p99 at most this many times the trivial page's
GOAL_TRIVIAL_VS_BARE = 0.5   # the trivial page against bare Flask
GOAL_SIZE_CHANGE = 0.30      # requests/s, smallest size against largest, either way
GOAL_SEED_PROVIDERS, GOAL_SEED_SECONDS = 250_000, 90.0
GOAL_PAGE_BYTES = 60 * 1024  # first load of /providers: HTML plus its stylesheets


def size_change(small, large):
    """How much a scenario's requests/s moved from the smallest size to the largest."""
    return large["rps"] / small["rps"] - 1


def misses(key, result, trivial, bare, change):
    """What a scenario's result misses of its goals, as phrases; None if it has no goal."""
    if key == "bare":
        return None
    found = []
    failed = result["non2xx"] + sum(result["errors"].values()) - result["errors"]["status"]
    if failed:
        found.append(f"{failed:,} non-2xx or errors")
    if key == "trivial":
        if result["rps"] < GOAL_TRIVIAL_VS_BARE * bare["rps"]:
            found.append(f"{result['rps'] / bare['rps']:.0%} of bare Flask "
                         f"(< {GOAL_TRIVIAL_VS_BARE:.0%})")
    else:
        if result["rps"] < GOAL_VS_TRIVIAL * trivial["rps"]:
            found.append(f"{result['rps'] / trivial['rps']:.0%} of the trivial page "
                         f"(< {GOAL_VS_TRIVIAL:.0%})")
        if result["p99_us"] > GOAL_P99_TIMES * trivial["p99_us"]:
            found.append(f"p99 {result['p99_us'] / trivial['p99_us']:.1f}x the trivial "
                         f"page's (> {GOAL_P99_TIMES:g}x)")
    if change is not None and abs(change) > GOAL_SIZE_CHANGE:
        found.append(f"{change:+.0%} between sizes (> {GOAL_SIZE_CHANGE:.0%})")
    return found


def verdict(key, result, trivial, bare, change):
    found = misses(key, result, trivial, bare, change)
    if found is None:
        return "n/a (the limit)"
    if found:
        return "**MISSES**: " + "; ".join(found)
    if key == "trivial":
        return f"meets ({result['rps'] / bare['rps']:.0%} of bare Flask)"
    return "meets"


def ms(us):
    return f"{us / 1000:,.0f} ms" if us >= 10_000 else f"{us / 1000:.1f} ms"


def summary_table(kind, by_size):
    """One database's table: each size's req/s, share of the trivial page and p99, then the
    change between the smallest and largest size, the noise and the verdict."""
    sizes = sorted(by_size)
    small, large = sizes[0], sizes[-1]
    head = "| Scenario |"
    rule = "|---|"
    for n in sizes:
        head += f" {n:,}: req/s | vs trivial | p99 |"
        rule += "---:|---:|---:|"
    if len(sizes) > 1:
        head += " Change |"
        rule += "---:|"
    head += " Other CPU | Goal (at " + f"{large:,}) |"
    rule += "---:|---|"
    lines = [f"### {kind}", "", head, rule]
    for key, label in SCENARIOS:
        cells = [label]
        for n in sizes:
            results = by_size[n]["results"]
            r, trivial = results[key], results["trivial"]
            cells += [f"{r['rps']:,.0f}", f"{r['rps'] / trivial['rps']:.0%}", ms(r["p99_us"])]
        change = None
        if len(sizes) > 1:
            change = size_change(by_size[small]["results"][key], by_size[large]["results"][key])
            cells.append(f"{change:+.0%}")
        cells.append(" / ".join(f"{by_size[n]['results'][key]['other_cpus']:.2f}"
                                for n in sizes))
        results = by_size[large]["results"]
        cells.append(verdict(key, results[key], results["trivial"], results["bare"],
                             None if key == "bare" else change))
        lines.append("| " + " | ".join(cells) + " |")
    lines += [""] + [f"- {note}" for note in notes(by_size)] + [""]
    return "\n".join(lines)


def notes(by_size):
    sizes = sorted(by_size)
    found = []
    seeded = []
    for n in sizes:
        seconds, note = by_size[n]["seed_seconds"], by_size[n].get("seed_note", "")
        seeded.append(f"{n:,} in {seconds:.1f} s" if seconds is not None
                      else f"{n:,} reused{f' ({note})' if note else ''}")
    goal = f"{GOAL_SEED_PROVIDERS:,} in < {GOAL_SEED_SECONDS:.0f} s"
    seconds = by_size.get(GOAL_SEED_PROVIDERS, {}).get("seed_seconds")
    if seconds is not None:
        goal += ": " + ("meets" if seconds < GOAL_SEED_SECONDS else "**MISSES**")
    else:
        goal += ": not measured in this run"
    found.append(f"Seeding: {'; '.join(seeded)}. Goal {goal}.")
    loads = []
    for n in sizes:
        sizes_ = by_size[n]["page_bytes"]
        total = sum(sizes_.values())
        parts = ", ".join(f"{path} {size:,}" for path, size in sizes_.items())
        loads.append(f"{n:,}: {total:,} bytes ({parts})"
                     + ("" if total < GOAL_PAGE_BYTES else " **MISSES**"))
    worst = max(sum(by_size[n]["page_bytes"].values()) for n in sizes)
    found.append(f"First load of /providers, HTML plus stylesheets, uncompressed, JS excluded, "
                 f"goal < {GOAL_PAGE_BYTES:,}: {'; '.join(loads)}: "
                 + ("meets." if worst < GOAL_PAGE_BYTES else "**MISSES**."))
    common = by_size[sizes[-1]].get("common_words")
    if common:
        found.append(f"Common words at {sizes[-1]:,} (share of listed providers whose text "
                     f"has each): {common}.")
    noisy = []
    for n in sizes:
        keys = [key for key, r in by_size[n]["results"].items() if r["other_cpus"] > NOISE_CPUS]
        if keys:
            what = ("every scenario" if len(keys) == len(SCENARIOS)
                    else ", ".join(LABELS[key] for key in keys))
            noisy.append(f"{what} at {n:,}")
    if noisy:
        found.append(f"**Noisy:** other processes kept more than {NOISE_CPUS} CPU busy during "
                     f"{'; '.join(noisy)}: those numbers understate the app. Rerun on a quiet "
                     "machine.")
    return found


def detail_table(kind, n, measured, duration):
    """Everything measured for one database at one size."""
    results = measured["results"]
    lines = [f"#### {kind}, {n:,} providers, {duration} s a scenario", "",
             "| Scenario | Paths | Requests/s | p50 | p99 | non-2xx / errors | Other CPU "
             "| Checked first |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    for key, label in SCENARIOS:
        r = results[key]
        errors = sum(r["errors"].values()) - r["errors"]["status"]
        lines.append(f"| {label} | {r['paths']} | {r['rps']:,.0f} | {ms(r['p50_us'])} "
                     f"| {ms(r['p99_us'])} | {r['non2xx']} / {errors} | {r['other_cpus']:.2f} "
                     f"| {r['note']} |")
    return "\n".join(lines + [""])
