#!/usr/bin/env python3
"""Builds the generated corpora of tests/inject/data (see the README there).

  make_inject_corpus.py sqlmap REQUESTS.jsonl OUT.txt
      distinct values of the injected parameters that scripts/collect_sqlmap.sh logged
      (the query parameter `id`, the body parameter `q`, and the random parameters sqlmap adds
      for its WAF probe), minus the untouched originals ("1", "shoes"); one per line, values
      with a line break dropped.
  make_inject_corpus.py prose OUT.txt
      benign text people type: sentences from the Debian `fortunes` package, one-line
      descriptions of the installed man pages (apropos), 1-3 word searches from `wamerican`,
      and the hand-written search phrases in tests/inject/data/benign_phrases.txt.
  make_inject_corpus.py browser OUT.txt
      browser-like form values (emails, URLs, dates, JSON, base64 tokens, UUIDs, prices,
      phone numbers, quoted searches), synthesised with a fixed seed.
Deterministic: the same packages give the same files (random.Random with fixed seeds).
"""
import base64
import json
import os
import random
import re
import subprocess
import sys
import uuid

DATA = os.path.join(os.path.dirname(__file__), "..", "tests", "inject", "data")


def write(path, values):
    seen, out = set(), []
    for v in values:
        v = v.strip("\r\n")
        if not v or "\n" in v or "\r" in v or v in seen:
            continue
        seen.add(v)
        out.append(v)
    with open(path, "w", encoding="utf-8") as f:
        for v in out:
            f.write(v + "\n")
    print(f"{path}: {len(out)} values")


def sqlmap(requests, out):
    vals = []
    for line in open(requests, encoding="utf-8"):
        r = json.loads(line)
        if r["where"] not in ("query", "body") or (r["where"] == "body" and r["name"] == "id"):
            continue
        if r["value"] in ("1", "shoes"):
            continue
        vals.append(r["value"])
    write(out, vals)


def fortunes():
    base = "/usr/share/games/fortunes"
    sentences = []
    for name in sorted(os.listdir(base)):
        p = os.path.join(base, name)
        if "." in name or not os.path.isfile(p):
            continue
        text = open(p, encoding="latin-1").read()
        for entry in text.split("\n%\n"):
            entry = re.sub(r"\s+", " ", entry).strip()
            for s in re.split(r"(?<=[.!?])\s+", entry):
                s = s.strip(" -\t")
                words = s.split()
                if 3 <= len(words) <= 14 and len(s) <= 110 and re.search(r"[a-z]", s):
                    sentences.append(s)
    return sentences


def man_descriptions():
    out = subprocess.run(["apropos", "."], capture_output=True, text=True).stdout
    descs = []
    for line in out.splitlines():
        if " - " in line:
            d = line.split(" - ", 1)[1].strip()
            if 2 <= len(d.split()) <= 14:
                descs.append(d)
    return descs


def words_searches(rng):
    words = [w.strip() for w in open("/usr/share/dict/american-english", encoding="utf-8")
             if w.strip().isalpha() or "'" in w]
    out = []
    for _ in range(400):
        n = rng.choice([1, 2, 2, 3])
        out.append(" ".join(rng.choice(words) for _ in range(n)).lower())
    return out


def prose(out):
    rng = random.Random(1212)
    f = sorted(set(fortunes()))
    m = sorted(set(man_descriptions()))
    phrases = [l.rstrip("\n") for l in open(os.path.join(DATA, "benign_phrases.txt"), encoding="utf-8")
               if l.strip() and not l.startswith("#")]
    vals = rng.sample(f, min(2400, len(f))) + rng.sample(m, min(700, len(m))) + words_searches(rng) + phrases
    rng.shuffle(vals)
    write(out, vals)


def browser(out):
    rng = random.Random(4242)
    first = ["john", "mary", "o.neil", "li.wei", "anna-maria", "j_smith", "dev+test", "sales", "kim", "ali"]
    hosts = ["example.com", "mail.example.org", "shop.example.net", "uni.example.edu", "example.co.uk"]
    paths = ["", "/", "/index.html", "/products/shoes?color=red&size=9", "/blog/2024/05/why-we-moved",
             "/search?q=union+station", "/a/b/c.php?id=5", "/docs/en/latest/", "/images/cat.png",
             "/user/profile#settings"]
    terms = ["\"red shoes\"", "\"o'neil\" boots", "'best price' laptop", "size 9 -used", "\"drop by\" hours",
             "select \"size\"", "c++ tutorial", "node.js vs deno", "50% off", "AT&T store", "q&a", "tom & jerry",
             "salt & pepper", "black & white", "m&m's", "1/2 price", "3:30 pm", "#1 seller", "email@me", "why?"]
    vals = []
    for _ in range(120):
        vals.append(f"{rng.choice(first)}{rng.randint(1, 99) if rng.random() < .5 else ''}@{rng.choice(hosts)}")
    for _ in range(120):
        vals.append(f"http{'s' if rng.random() < .8 else ''}://{rng.choice(hosts)}{rng.choice(paths)}")
    for _ in range(60):
        y, mo, d = rng.randint(1990, 2030), rng.randint(1, 12), rng.randint(1, 28)
        vals.append(rng.choice([f"{y}-{mo:02d}-{d:02d}", f"{mo}/{d}/{y}", f"{d}.{mo}.{y}",
                                f"{y}-{mo:02d}-{d:02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"]))
    for _ in range(60):
        obj = {"id": rng.randint(1, 10000), "name": rng.choice(first), "tags": rng.sample(["a", "b", "new", "sale"], 2),
               "price": round(rng.random() * 100, 2), "active": rng.random() < .5}
        vals.append(json.dumps(obj, separators=(",", ":") if rng.random() < .5 else (", ", ": ")))
    for _ in range(60):
        vals.append(base64.b64encode(rng.randbytes(rng.randint(8, 48))).decode())
        vals.append(base64.urlsafe_b64encode(rng.randbytes(24)).decode().rstrip("="))
    for _ in range(60):
        vals.append(str(uuid.UUID(int=rng.getrandbits(128), version=4)))
    for _ in range(40):
        vals.append(rng.choice([f"${rng.randint(1, 999)}.{rng.randint(0, 99):02d}", f"{rng.randint(1, 99)} EUR",
                                f"+1 ({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                                f"{rng.randint(10000, 99999)}", f"{rng.randint(1, 5)}-{rng.randint(6, 9)} days"]))
    vals += terms
    write(out, vals)


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "sqlmap" and len(sys.argv) == 4:
        sqlmap(sys.argv[2], sys.argv[3])
    elif cmd == "prose" and len(sys.argv) == 3:
        prose(sys.argv[2])
    elif cmd == "browser" and len(sys.argv) == 3:
        browser(sys.argv[2])
    else:
        sys.exit(__doc__)
