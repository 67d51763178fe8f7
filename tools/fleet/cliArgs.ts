/** A command line the fleet report cannot run with; main prints the one-line message and exits 2. */
export class FleetUsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "FleetUsageError";
    }
}

/** The fleet report's options, validated. */
export interface FleetOptions {
    /** --warn-days: warn when the previous secret ends within this many days. */
    readonly warnDays: number;
    /** --json: machine-readable output. */
    readonly json: boolean;
    /** --concurrency: how many stacks are read at a time. */
    readonly concurrency: number;
    /** --stack-filter: only stacks whose name matches this glob. */
    readonly stackFilter?: string;
    /** --help. */
    readonly help: boolean;
}

export const DEFAULT_WARN_DAYS = 30;
export const DEFAULT_CONCURRENCY = 8;
/** Entra caps a client secret at 24 months, so a longer warning window means nothing. */
const MAX_WARN_DAYS = 730;
/** Each stack read is a Pulumi CLI process; more than this only queues at the backend. */
const MAX_CONCURRENCY = 64;

export const USAGE = `Usage: npm run fleet -- [--warn-days <n, default ${DEFAULT_WARN_DAYS}>] [--json] [--concurrency <n, default ${DEFAULT_CONCURRENCY}>] [--stack-filter <glob>]

Reads every stack of the ucx-mail project in the current Pulumi backend and reports, per tenant, the client secret's
end, the previous secret's end, the next rotation and the last update, judged ok, warn or fail.

  --warn-days <n>       warn when the previous secret ends within n days (0-${MAX_WARN_DAYS}, default ${DEFAULT_WARN_DAYS})
  --json                print { ok, generatedAt, stacks: [...] } instead of the table
  --concurrency <n>     read n stacks at a time (1-${MAX_CONCURRENCY}, default ${DEFAULT_CONCURRENCY})
  --stack-filter <glob> only stacks whose name matches; * matches any text, ? one character
  --help                this text

Exit codes: 0 no stack fails (warnings allowed), 1 a stack fails, 2 usage error or no Pulumi CLI.`;

const VALUE_FLAGS = ["--warn-days", "--concurrency", "--stack-filter"] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];
const SWITCHES = ["--json", "--help", "-h"] as const;

/** Parses the command line. Pure; throws one FleetUsageError naming the flag and the fix. */
export function parseFleetArgs(argv: readonly string[]): FleetOptions {
    const values = new Map<ValueFlag, string>();
    const seen = new Set<string>();
    let json = false;
    let help = false;
    for (let index = 0; index < argv.length; index++) {
        const argument = argv[index];
        const equals = argument.indexOf("=");
        const flag = argument.startsWith("--") && equals > 0 ? argument.slice(0, equals) : argument;
        if (seen.has(flag === "-h" ? "--help" : flag)) {
            throw new FleetUsageError(`${flag} is given twice; give it once.`);
        }
        seen.add(flag === "-h" ? "--help" : flag);
        if ((SWITCHES as readonly string[]).includes(flag)) {
            if (flag !== argument) throw new FleetUsageError(`${flag} takes no value; write just ${flag}.`);
            if (flag === "--json") json = true;
            else help = true;
            continue;
        }
        if ((VALUE_FLAGS as readonly string[]).includes(flag)) {
            let value: string | undefined;
            if (flag !== argument) value = argument.slice(equals + 1);
            else if (index + 1 < argv.length && !argv[index + 1].startsWith("--")) value = argv[++index];
            if (value === undefined)
                throw new FleetUsageError(`${flag} needs a value, e.g. ${example(flag as ValueFlag)}.`);
            values.set(flag as ValueFlag, value);
            continue;
        }
        if (argument.startsWith("-")) {
            throw new FleetUsageError(
                `unknown option ${flag}; the options are ${[...VALUE_FLAGS, "--json"].join(", ")}.`,
            );
        }
        throw new FleetUsageError(
            `unexpected argument "${argument}"; the fleet reads every stack, so pick some with --stack-filter "${argument}".`,
        );
    }
    const stackFilter = values.get("--stack-filter");
    if (stackFilter !== undefined && stackFilter.trim() === "") {
        throw new FleetUsageError('--stack-filter is empty; give a glob such as --stack-filter "customer-*".');
    }
    return {
        warnDays: integerFlag(values, "--warn-days", DEFAULT_WARN_DAYS, 0, MAX_WARN_DAYS),
        concurrency: integerFlag(values, "--concurrency", DEFAULT_CONCURRENCY, 1, MAX_CONCURRENCY),
        json,
        stackFilter,
        help,
    };
}

function integerFlag(
    values: ReadonlyMap<ValueFlag, string>,
    flag: ValueFlag,
    fallback: number,
    min: number,
    max: number,
): number {
    const text = values.get(flag);
    if (text === undefined) return fallback;
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
        throw new FleetUsageError(
            `${flag} "${text}" is not a whole number from ${min} to ${max}; e.g. ${example(flag)}.`,
        );
    }
    return value;
}

function example(flag: ValueFlag): string {
    if (flag === "--warn-days") return `--warn-days ${DEFAULT_WARN_DAYS}`;
    if (flag === "--concurrency") return `--concurrency ${DEFAULT_CONCURRENCY}`;
    return '--stack-filter "customer-*"';
}
