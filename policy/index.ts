// The ucx-mail CrossGuard policy pack: `pulumi preview --policy-pack policy`.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("ucx-mail", {
    description:
        "Keeps every ucx-mail tenant least-privilege: Exchange-only app roles, single tenant, bounded secrets.",
    policies,
});
