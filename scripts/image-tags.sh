#!/usr/bin/env bash
# The image tags of this checkout, as shell assignments (`eval "$(scripts/image-tags.sh)"`):
# each image is tagged with the git tree hash of its build context, so the tag names the
# content. A pull request's plan then shows exactly the image the deploy pushes and runs, and
# an image changes only when its service directory does.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "export FRONTEND_IMAGE_TAG=$(git rev-parse HEAD:services/frontend)"
echo "export WORKER_IMAGE_TAG=$(git rev-parse HEAD:services/worker)"
