import { buildReport, CheckResult, DoctorReport } from "./checkResult";
import {
    DoctorOptions,
    EXCHANGE_SECRET_ENV_VARS,
    ExchangeOptions,
    parseDoctorFlags,
    resolveDoctorOptions,
    SECRET_ENV_VAR,
    smtpPortWarning,
    StackValues,
    USAGE,
    UsageError,
} from "./cliArgs";
import { exchangeChecksFromFindings, failedExchangeChecks, skippedExchangeChecks } from "./exchangeChecks";
import { ExchangeSessionResult, runExchangeDiagnosis } from "./exchangeSession";
import { runExpiryCheck } from "./expiryCheck";
import { GRAPH_TOKEN_ENV_VAR } from "./graphAccess";
import {
    GraphCheckOptions,
    graphChecksRunAlone,
    resolveGraphCheckOptions,
    runGraphChecks,
    skippedMailChecks,
} from "./graphChecks";
import { runImapCheck } from "./imapCheck";
import { redactSecrets, renderJson, renderTable } from "./reportRendering";
import { decodeAccessTokenClaims, runRolesCheck } from "./rolesCheck";
import { runSendCheck } from "./sendCheck";
import { runSmtpCheck } from "./smtpCheck";
import { readStackExchangeConfig, readStackValues } from "./stackOutputs";
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
    env: NodeJS.ProcessEnv = process.env,
    graph?: GraphCheckOptions,
): Promise<{ report: DoctorReport; secrets: string[] }> {
    // Exchange's connection is the slow part (10-20 s) and needs no token, so it starts first, under its own bound.
    const exchangeRun = options.exchange ? startExchangeDiagnosis(options, options.exchange, env) : undefined;
    // The Graph checks (--handover, --preflight) need nothing from the mail checks, so they run alongside.
    const graphRun = runGraphChecks(graph, env, now());
    const token = await runTokenCheck(options);
    // The object id every fix quotes: --service-principal-object-id, then the stack's, then the token's oid.
    const checked: DoctorOptions = {
        ...options,
        servicePrincipalObjectId: options.servicePrincipalObjectId ?? token.objectId,
    };
    const roles = runRolesCheck(token.accessToken);
    // SMTP and IMAP are independent, so they run side by side; send needs a working SMTP login first.
    const [smtpAndSend, imap, exchange, graphChecks] = await Promise.all([
        (async (): Promise<[CheckResult, CheckResult]> => {
            const smtp = await runSmtpCheck(checked, token.accessToken);
            return [smtp, await runSendCheck(checked, token.accessToken, smtp)];
        })(),
        runImapCheck(checked, token.accessToken),
        exchangeRun,
        graphRun,
    ]);
    const expiry = runExpiryCheck(options.stack, options.clientSecretExpiresAt, now());
    const secrets = [options.clientSecret, token.accessToken, ...graphChecks.secrets].filter(
        (value): value is string => value !== undefined,
    );
    return {
        report: buildReport([
            token.result,
            roles,
            smtpAndSend[0],
            imap,
            smtpAndSend[1],
            expiry,
            ...exchangeResults(checked, exchange, token.accessToken),
            ...graphChecks.results,
        ]),
        secrets,
    };
}

/** Every mailbox the Exchange checks look at: --mailbox first, then the stack's. */
function exchangeMailboxes(options: DoctorOptions): string[] {
    const all = [options.mailbox, ...(options.stackMailboxes ?? [])].map((mailbox) => mailbox.toLowerCase());
    return [...new Set(all)];
}

function startExchangeDiagnosis(
    options: DoctorOptions,
    exchange: ExchangeOptions,
    env: NodeJS.ProcessEnv,
): Promise<ExchangeSessionResult> {
    return runExchangeDiagnosis(
        {
            exchange,
            cloud: options.cloud,
            appId: options.clientId,
            mailboxes: exchangeMailboxes(options),
        },
        env,
    );
}

function exchangeResults(
    options: DoctorOptions,
    run: ExchangeSessionResult | undefined,
    accessToken: string | undefined,
): CheckResult[] {
    if (!options.exchange || !run) return skippedExchangeChecks();
    if (!run.ok) return failedExchangeChecks(run.failure, options.exchange.mode);
    let roles: readonly string[] = [];
    try {
        roles = accessToken ? decodeAccessTokenClaims(accessToken).roles : [];
    } catch {
        // The roles check reports an unreadable token.
    }
    return exchangeChecksFromFindings(run.findings, {
        appId: options.clientId,
        servicePrincipalObjectId: options.servicePrincipalObjectId,
        servicePrincipalName: options.exchange.servicePrincipalName,
        popInUse: roles.includes("POP.AccessAsApp"),
    });
}

/** The whole command: parse, read the stack if asked, check, print. Returns the exit code. */
export async function runDoctor(argv: readonly string[], env: NodeJS.ProcessEnv, io: DoctorIo): Promise<number> {
    const knownSecrets: (string | undefined)[] = [
        env[SECRET_ENV_VAR],
        env[GRAPH_TOKEN_ENV_VAR],
        ...EXCHANGE_SECRET_ENV_VARS.map((name) => env[name]),
    ];
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
            // The stack's cloud picks the hosts, so its config is read even without --exchange.
            const stackConfig = await readStackExchangeConfig(flags.stack, {
                env,
                timeoutMs: Math.max(flags.timeoutMs ?? 0, 30_000),
            });
            stackValues = { ...stackConfig, ...stackValues };
        }
        const graph = resolveGraphCheckOptions(flags, stackValues);
        let report: DoctorReport;
        if (graphChecksRunAlone(flags, env, stackValues)) {
            // No client secret: --handover and --preflight need none, so they run alone and the mail checks skip.
            const graphChecks = await runGraphChecks(graph, env, new Date());
            knownSecrets.push(...graphChecks.secrets);
            report = buildReport([...skippedMailChecks(), ...skippedExchangeChecks(), ...graphChecks.results]);
        } else {
            const options = resolveDoctorOptions(flags, env, stackValues);
            const portWarning = smtpPortWarning(options);
            if (portWarning) io.stderr(redactSecrets(`doctor: warning: ${portWarning}\n`, knownSecrets));
            const run = await runChecks(options, () => new Date(), env, graph);
            knownSecrets.push(...run.secrets);
            report = run.report;
        }
        const text = flags.json ? renderJson(report) : renderTable(report, { colour: io.colour, width: io.width });
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
            const secrets = [SECRET_ENV_VAR, GRAPH_TOKEN_ENV_VAR, ...EXCHANGE_SECRET_ENV_VARS].map(
                (name) => process.env[name],
            );
            process.stderr.write(redactSecrets(`doctor: unexpected error: ${String(error)}\n`, secrets), () =>
                process.exit(EXIT_CHECK_FAILED),
            );
        },
    );
}
