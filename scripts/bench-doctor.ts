/**
 * Benchmark for the doctor (npm run bench:doctor). Starts the same loopback servers as the tests (Entra token
 * server, Exchange SMTP fake, Dovecot IMAP), runs the doctor as a child process the way `npm run doctor` does, and
 * prints the figures. Targets: all-pass run under 3 s; a run with one silent port under the timeout plus 1 s; a run
 * with --exchange against the fake ExchangeOnlineManagement module (pwsh start, module import, one connection and
 * the reads) under 30 s, the real connection alone taking 10-20 s. The stand-ins refuse logins as late as Exchange
 * does (EXCHANGE_REFUSAL_DELAY_MS, Dovecot's auth_failure_delay of 2 s), so two more runs show what that costs: a
 * refused login under the default --timeout-ms (Exchange's verdict, under the delay plus 3 s) and under a 2 s limit
 * ("the login did not finish", under the limit plus 1 s).
 */
import { createFakeExchangeTenant, healthyFakeExchange } from "../test/doctor/support/fakeExchange";
import { startDoctorWorld } from "../test/doctor/support/doctorWorld";
import { EXCHANGE_REFUSAL_DELAY_MS } from "../test/doctor/support/exchangeImapServer";
import { parseDoctorJson, runDoctorProcess } from "../test/doctor/support/runDoctor";

const FULL_RUNS = 5;
const SILENT_TIMEOUT_MS = 2000;
const FULL_TARGET_MS = 3000;
const EXCHANGE_TARGET_MS = 30_000;
const REFUSED_TARGET_MS = EXCHANGE_REFUSAL_DELAY_MS + 3000;
const SLOW_LOGIN_TIMEOUT_MS = 2000;
// Dovecot's own default for auth_failure_delay.
const DOVECOT_AUTH_FAILURE_DELAY_SECONDS = 2;
const EXCHANGE_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.bench-exchange-token.sig";

async function main(): Promise<void> {
    const world = await startDoctorWorld({
        refusalDelayMs: EXCHANGE_REFUSAL_DELAY_MS,
        dovecotAuthFailureDelaySeconds: DOVECOT_AUTH_FAILURE_DELAY_SECONDS,
    });
    try {
        if (!world.imap)
            console.log(`NOTE: Dovecot unavailable (${world.imapUnavailable}); IMAP points at a silent port.`);
        world.setScenario();
        // One unmeasured run warms the tsx transform cache, as a second `npm run doctor` would find it.
        await runDoctorProcess(world.doctorArgs(), world.doctorEnv());

        const fullTimes: number[] = [];
        let allPassed = true;
        for (let run = 0; run < FULL_RUNS; run++) {
            const result = await runDoctorProcess(world.doctorArgs(), world.doctorEnv());
            fullTimes.push(result.elapsedMs);
            allPassed &&= result.code === 0 && parseDoctorJson(result).ok;
        }

        const silent = await runDoctorProcess(
            world.doctorArgs({ smtpPort: world.silent.port, timeoutMs: SILENT_TIMEOUT_MS }),
            world.doctorEnv(),
        );
        const silentReport = parseDoctorJson(silent);
        const silentSmtp = silentReport.checks.find((check) => check.id === "smtp");

        // A login Exchange refuses (no service principal): both SMTP and IMAP answer after the real delay.
        world.setScenario({ exchangeServicePrincipal: false });
        const refused = await runDoctorProcess(
            world.doctorArgs({ imapPort: world.exchangeImap.port }),
            world.doctorEnv(),
        );
        const refusedChecks = parseDoctorJson(refused).checks;
        const refusedVerdict = ["smtp", "imap"].every((id) =>
            /535 5\.7\.3|NO AUTHENTICATE failed/.test(refusedChecks.find((check) => check.id === id)?.message ?? ""),
        );
        const slow = await runDoctorProcess(
            world.doctorArgs({ imapPort: world.exchangeImap.port, timeoutMs: SLOW_LOGIN_TIMEOUT_MS }),
            world.doctorEnv(),
        );
        const slowNamed = parseDoctorJson(slow).checks.some((check) => /did not finish/.test(check.message));
        world.setScenario();

        const fake = createFakeExchangeTenant(healthyFakeExchange(world, EXCHANGE_TOKEN));
        let exchange;
        try {
            exchange = await runDoctorProcess(
                [
                    ...world.doctorArgs(),
                    "--exchange",
                    "accessToken",
                    "--exchange-organization",
                    "contoso.onmicrosoft.com",
                ],
                fake.env({ ...world.doctorEnv(), EXO_ACCESS_TOKEN: EXCHANGE_TOKEN }),
                180_000,
            );
        } finally {
            fake.cleanup();
        }
        const exchangeChecks = parseDoctorJson(exchange).checks.filter((check) => check.id.startsWith("exchange-"));
        const exchangePassed = exchangeChecks.length === 4 && exchangeChecks.every((check) => check.status === "pass");

        const sorted = [...fullTimes].sort((a, b) => a - b);
        const median = sorted[Math.floor(sorted.length / 2)];
        const silentTarget = SILENT_TIMEOUT_MS + 1000;
        const rows = [
            ["scenario", "runs", "min ms", "median ms", "max ms", "target ms", "result"],
            [
                "full run, all pass",
                String(FULL_RUNS),
                String(sorted[0]),
                String(median),
                String(sorted[sorted.length - 1]),
                `< ${FULL_TARGET_MS}`,
                `${median < FULL_TARGET_MS ? "met" : "MISSED"}${allPassed ? "" : " (not every run passed!)"}`,
            ],
            oneRunRow(
                `silent SMTP port, --timeout-ms ${SILENT_TIMEOUT_MS}`,
                silent.elapsedMs,
                silentTarget,
                ` (smtp: ${silentSmtp?.status ?? "?"}, exit ${silent.code})`,
            ),
            oneRunRow(
                `refused login, Exchange's ${EXCHANGE_REFUSAL_DELAY_MS} ms delay`,
                refused.elapsedMs,
                REFUSED_TARGET_MS,
                refusedVerdict ? " (Exchange's verdict named)" : " (verdict not named!)",
            ),
            oneRunRow(
                `same, --timeout-ms ${SLOW_LOGIN_TIMEOUT_MS}`,
                slow.elapsedMs,
                SLOW_LOGIN_TIMEOUT_MS + 1000,
                slowNamed ? " (slow login named)" : " (slow login not named!)",
            ),
            oneRunRow(
                "--exchange accessToken, fake module via pwsh",
                exchange.elapsedMs,
                EXCHANGE_TARGET_MS,
                exchangePassed ? "" : " (Exchange checks did not all pass!)",
            ),
        ];
        const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
        console.log("doctor benchmark (wall clock of the child process, node + tsx start-up included)");
        for (const row of rows)
            console.log(
                row
                    .map((cell, column) => cell.padEnd(widths[column]))
                    .join("  ")
                    .trimEnd(),
            );
    } finally {
        await world.stop();
    }
}

/** One table row for a scenario measured once: its time, its target and whether it was met. */
function oneRunRow(scenario: string, elapsedMs: number, targetMs: number, note: string): string[] {
    const time = String(elapsedMs);
    return [scenario, "1", time, time, time, `< ${targetMs}`, `${elapsedMs < targetMs ? "met" : "MISSED"}${note}`];
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
