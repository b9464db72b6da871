"""Verify an exported ledger offline (standard library only): python3 verify_ledger.py ledger.json"""

import hashlib
import json
import sys
from pathlib import Path

document = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
prev = "0" * 64  # the first entry's predecessor
for entry in document["entries"]:
    content = {k: v for k, v in entry.items() if k not in ("prev_hash", "entry_hash")}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(bytes.fromhex(prev) + canonical.encode()).hexdigest()
    if entry["prev_hash"] != prev or entry["entry_hash"] != digest:
        sys.exit(f"entry {entry['seq']} does NOT match its hash: the ledger was altered")
    prev = digest
if prev != document["head"]["entry_hash"]:
    sys.exit("the last entry is not the head the document names: entries are missing")
print(f"OK: {len(document['entries'])} entries chain up to head {prev}")  # compare with /verify
