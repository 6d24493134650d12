#!/usr/bin/env node
// The image tag of a build: IMAGE_TAG if set, else <workspace version>-<git short sha>, plus -dirty.<UTC time> when
// the tree has uncommitted changes. A tag names one build: a rebuild never reuses the tag nodes already cached
// (`0.1.0` alone would, and nodes with IfNotPresent would keep running the old image). `node image-tag.mjs` prints it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

const git = (/** @type {string[]} */ ...args) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();

export function gitRevision() {
  try {
    return git('rev-parse', 'HEAD');
  } catch {
    return 'unknown';
  }
}

export function imageTag(env = process.env) {
  if (env.IMAGE_TAG) return env.IMAGE_TAG;
  let sha;
  let dirty = false;
  try {
    sha = git('rev-parse', '--short=7', 'HEAD');
    dirty = git('status', '--porcelain', '--untracked-files=no').length > 0;
  } catch {
    throw new Error('not a git checkout: set IMAGE_TAG (a tag per build, e.g. 0.1.0-<sha>)');
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '');
  return `${version}-${sha}${dirty ? `-dirty.${stamp}` : ''}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(imageTag());
