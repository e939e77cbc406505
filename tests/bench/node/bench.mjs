// What every Node contender shares (tests/bench/CONTRACT.md): the scenario and
// config.json from argv, a monotonic clock, the message to send, the result line.
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'

export const [scenario, configPath] = process.argv.slice(2)
export const config = JSON.parse(readFileSync(configPath, 'utf8'))
export const params = config.scenario

/** Monotonic seconds. */
export const clock = () => performance.now() / 1000

/** The ~200-byte body of every sent message. */
export const body = 'This message was sent by the oauthmail benchmark to measure how fast a library submits small messages. '.repeat(2)

/** Runs `scenarios[scenario]` and prints its result as the last line on stdout. */
export async function run(scenarios) {
  const job = scenarios[scenario]
  if (!job) throw new Error(`unknown scenario ${scenario}`)
  process.stdout.write(`${JSON.stringify(await job())}\n`)
}
