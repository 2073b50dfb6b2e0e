#!/usr/bin/env bash
# Any static host: the site is a plain folder with relative links, so copying it is enough.
set -euo pipefail
trackreport build --store ./mlruns --out site --max-artifact-size 50MB

# a web server you can ssh into (only changed files are sent):
rsync -av --delete site/ user@web.example.org:/var/www/results/

# or an S3 bucket configured for static website hosting:
aws s3 sync site/ s3://my-results-bucket/ --delete
