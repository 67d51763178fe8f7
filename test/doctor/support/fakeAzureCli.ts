import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/**
 * A stand-in `az` on PATH for @azure/identity's AzureCliCredential, which runs
 * `az account get-access-token --output json --resource <resource> [--tenant <tenant>]`
 * (@azure/identity dist/commonjs/credentials/azureCliCredential.js).
 */
export interface FakeAzureCli {
    /** PATH with the fake first. */
    readonly path: string;
    /** Every argument vector the fake was called with, one line each. */
    calls(): string[];
    cleanup(): void;
}

/** Creates the fake: signed in (prints `token`), or signed out (fails like the real CLI). */
export function createFakeAzureCli(token: string, options: { signedIn?: boolean } = {}): FakeAzureCli {
    const dir = mkdtempSync(join(tmpdir(), "ucx-fake-az-"));
    const expiresOn = Math.floor(Date.now() / 1000) + 3600;
    // The shape of `az account get-access-token --output json` (Azure CLI reference; expires_on since CLI 2.54.0,
    // expiresOn in local time without an offset).
    const answer = {
        accessToken: token,
        expiresOn: new Date(expiresOn * 1000).toISOString().replace("T", " ").replace("Z", "000"),
        expires_on: expiresOn,
        subscription: "11111111-2222-4333-8444-555555555555",
        tenant: "ffffffff-0000-4000-8000-000000000000",
        tokenType: "Bearer",
    };
    writeFileSync(join(dir, "answer.json"), `${JSON.stringify(answer, null, 2)}\n`);
    writeFileSync(join(dir, "calls.log"), "");
    const signedIn = options.signedIn ?? true;
    const script = `#!/bin/sh
# Fake Azure CLI for the doctor tests: "account get-access-token --output json --resource <r> [--tenant <t>]".
here="$(dirname "$0")"
echo "$*" >> "$here/calls.log"
if [ "$1" != "account" ] || [ "$2" != "get-access-token" ]; then
  echo "ERROR: fake az only knows 'account get-access-token'" >&2
  exit 2
fi
${
    signedIn
        ? `cat "$here/answer.json"`
        : `# The real CLI's answer when nobody is signed in.
echo "ERROR: Please run 'az login' to setup account." >&2
exit 1`
}
`;
    writeFileSync(join(dir, "az"), script);
    chmodSync(join(dir, "az"), 0o755);
    return {
        path: `${dir}${delimiter}${process.env.PATH ?? ""}`,
        calls: () =>
            readFileSync(join(dir, "calls.log"), "utf8")
                .split("\n")
                .filter((line) => line !== ""),
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
}
