// Builds the addon and regenerates index.js / index.d.ts with napi-rs's own
// generators, from the workspace's shared debug build (no second target dir).
//
//   node scripts/build.mjs            cargo build (debug, feature `testing`), copy the
//                                     library to oauthmail.linux-x64-gnu.node, write index.js/index.d.ts
//   node scripts/build.mjs --check    the same, but fail if index.js/index.d.ts differ from
//                                     what is checked in (CI's drift check)
//   node scripts/build.mjs --install  what `npm install` runs: nothing when the addon is
//                                     already built, else `napi build --release` (napi-rs's CLI)
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(dirname(fileURLToPath(import.meta.url)))
const root = dirname(here)
const addon = join(here, 'oauthmail.linux-x64-gnu.node')
const args = new Set(process.argv.slice(2))

if (args.has('--install')) {
  if (existsSync(addon)) process.exit(0)
  // A fresh checkout: napi-rs's CLI builds a release addon. The generated
  // files are written to a scratch dir, so the checked-in ones stay as they are.
  const scratch = mkdtempSync(join(tmpdir(), 'oauthmail-napi-'))
  execFileSync('npx', ['--yes', '--package', '@napi-rs/cli@3.10.12', 'napi', 'build', '--platform', '--release', '--output-dir', scratch], { cwd: here, stdio: 'inherit' })
  copyFileSync(join(scratch, 'oauthmail.linux-x64-gnu.node'), addon)
  rmSync(scratch, { recursive: true, force: true })
  process.exit(0)
}

const { generateTypeDef, writeJsBinding } = await import('@napi-rs/cli')
const typeDefDir = mkdtempSync(join(tmpdir(), 'oauthmail-typedef-'))
try {
  // napi-derive writes one type-def file per crate while it expands the macros;
  // NAPI_FORCE_BUILD_* makes cargo re-expand this crate (and only it).
  execFileSync('cargo', ['build', '-p', 'oauthmail-node', '--features', 'testing'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NAPI_TYPE_DEF_TMP_FOLDER: typeDefDir, NAPI_FORCE_BUILD_OAUTHMAIL_NODE: String(Date.now()) },
  })
  copyFileSync(join(root, 'target/debug/liboauthmail_node.so'), addon)

  const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'))
  const { exports, dts } = await generateTypeDef({ typeDefDir, cwd: here, declareBindingTarget: false })
  const out = mkdtempSync(join(tmpdir(), 'oauthmail-js-'))
  await writeJsBinding({
    platform: true,
    idents: exports,
    binaryName: pkg.napi.binaryName,
    packageName: pkg.name,
    version: pkg.version,
    outputDir: out,
    wasiFlavors: [],
  })
  const generated = { 'index.d.ts': dts, 'index.js': readFileSync(join(out, 'index.js'), 'utf8') }
  rmSync(out, { recursive: true, force: true })

  let drift = false
  for (const [name, text] of Object.entries(generated)) {
    const path = join(here, name)
    const current = existsSync(path) ? readFileSync(path, 'utf8') : ''
    if (current === text) continue
    if (args.has('--check')) {
      console.error(`bindings-node/${name} differs from what the Rust code generates; run \`npm run build\` in bindings-node and commit it`)
      drift = true
    } else {
      writeFileSync(path, text)
      console.log(`wrote bindings-node/${name}`)
    }
  }
  if (drift) process.exitCode = 1
} finally {
  rmSync(typeDefDir, { recursive: true, force: true })
}
