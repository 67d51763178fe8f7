import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createFakeExecutableDir, FakeExecutable, installFakeExecutable } from "./fakeExecutable";

/**
 * A stand-in `az` on PATH for @azure/identity's AzureCliCredential, which runs
 * `az account get-access-token --output json --resource <resource> [--tenant <tenant>]`
 * (@azure/identity dist/commonjs/credentials/azureCliCredential.js).
 */
export type FakeAzureCli = FakeExecutable;

/** Creates the fake: signed in (prints `token`), or signed out (fails like the real CLI). */
export function createFakeAzureCli(token: string, options: { signedIn?: boolean } = {}): FakeAzureCli {
    const fake = createFakeExecutableDir("ucx-fake-az-");
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
    writeFileSync(join(fake.dir, "answer.json"), `${JSON.stringify(answer, null, 2)}\n`);
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
    installFakeExecutable(fake, "az", script);
    return fake;
}
