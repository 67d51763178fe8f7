import { buildReport, CheckResult, DoctorReport } from "./checkResult";
import {
    DoctorOptions,
    parseDoctorFlags,
    resolveDoctorOptions,
    SECRET_ENV_VAR,
    StackValues,
    USAGE,
    UsageError,
} from "./cliArgs";
import { runExpiryCheck } from "./expiryCheck";
import { runImapCheck } from "./imapCheck";
import { redactSecrets, renderJson, renderTable } from "./reportRendering";
import { runRolesCheck } from "./rolesCheck";
import { runSendCheck } from "./sendCheck";
import { runSmtpCheck } from "./smtpCheck";
import { readStackValues } from "./stackOutputs";
import { runTokenCheck } from "./tokenCheck";

/** Exit codes of the doctor (a contract). */
export const EXIT_ALL_PASSED = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_USAGE_ERROR = 2;

/** Where the doctor writes; main passes the process streams. */
export interface DoctorIo {
    readonly stdout: (text: string) => void;
    readonly stderr: (text: string) => void;
    /** Colour the table (stdout is a TTY and NO_COLOR is unset). */
    readonly colour: boolean;
    /** Terminal width for wrapping. */
    readonly width: number;
}

/** Runs every check in order and returns the report plus the secrets that must never be printed. */
export async function runChecks(
    options: DoctorOptions,
    now: () => Date = () => new Date(),
): Promise<{ report: DoctorReport; secrets: string[] }> {
    const token = await runTokenCheck(options);
    const roles = runRolesCheck(token.accessToken);
    // SMTP and IMAP are independent, so they run side by side; send needs a working SMTP login first.
    const [smtpAndSend, imap] = await Promise.all([
        (async (): Promise<[CheckResult, CheckResult]> => {
            const smtp = await runSmtpCheck(options, token.accessToken);
            return [smtp, await runSendCheck(options, token.accessToken, smtp)];
        })(),
        runImapCheck(options, token.accessToken),
    ]);
    const expiry = runExpiryCheck(options.stack, options.clientSecretExpiresAt, now());
    const secrets = [options.clientSecret, token.accessToken].filter((value): value is string => value !== undefined);
    return { report: buildReport([token.result, roles, smtpAndSend[0], imap, smtpAndSend[1], expiry]), secrets };
}

/** The whole command: parse, read the stack if asked, check, print. Returns the exit code. */
export async function runDoctor(argv: readonly string[], env: NodeJS.ProcessEnv, io: DoctorIo): Promise<number> {
    const knownSecrets: (string | undefined)[] = [env[SECRET_ENV_VAR]];
    try {
        const flags = parseDoctorFlags(argv);
        if (flags.help) {
            io.stdout(`${USAGE}\n`);
            return EXIT_ALL_PASSED;
        }
        let stackValues: StackValues = {};
        if (flags.stack !== undefined) {
            stackValues = await readStackValues(flags.stack, {
                env,
                timeoutMs: Math.max(flags.timeoutMs ?? 0, 30_000),
            });
            knownSecrets.push(stackValues.clientSecret);
        }
        const options = resolveDoctorOptions(flags, env, stackValues);
        const { report, secrets } = await runChecks(options);
        knownSecrets.push(...secrets);
        const text = options.json ? renderJson(report) : renderTable(report, { colour: io.colour, width: io.width });
        io.stdout(redactSecrets(text, knownSecrets));
        return report.ok ? EXIT_ALL_PASSED : EXIT_CHECK_FAILED;
    } catch (error) {
        if (error instanceof UsageError) {
            io.stderr(
                redactSecrets(`doctor: ${error.message} (npm run doctor -- --help shows the usage)\n`, knownSecrets),
            );
            return EXIT_USAGE_ERROR;
        }
        throw error;
    }
}

if (require.main === module) {
    const colour = Boolean(process.stdout.isTTY) && process.env.NO_COLOR === undefined;
    runDoctor(process.argv.slice(2), process.env, {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
        colour,
        width: Math.min(process.stdout.columns || 100, 140),
    }).then(
        (code) => {
            // Exit once the output is flushed: an abandoned silent socket must not keep the doctor waiting.
            process.stdout.write("", () => process.exit(code));
        },
        (error: unknown) => {
            const secret = process.env[SECRET_ENV_VAR];
            process.stderr.write(redactSecrets(`doctor: unexpected error: ${String(error)}\n`, [secret]), () =>
                process.exit(EXIT_CHECK_FAILED),
            );
        },
    );
}
