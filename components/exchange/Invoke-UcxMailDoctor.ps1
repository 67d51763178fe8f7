<#
.SYNOPSIS
    Runs the doctor's read-only Exchange Online checks (vendor troubleshooting steps 3-6) and prints one JSON line.
.DESCRIPTION
    pwsh -NoProfile -NonInteractive -File components/exchange/Invoke-UcxMailDoctor.ps1

    Started by `npm run doctor -- --exchange <mode>`; every input comes from the Exchange steps' own environment
    variables (UCX_EXCHANGE_*, and the secrets UCX_EXCHANGE_CERTIFICATE_PASSWORD, UCX_EXCHANGE_CLIENT_SECRET,
    EXO_ACCESS_TOKEN), read by the same settings reader. Connects once with
    -CommandName and Get-* cmdlets only, so nothing can be written. ExchangeOnlineManagement is found through
    PSModulePath. Exit codes: 0 findings printed, 1 a failure printed.
#>
[CmdletBinding()]
param()
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# readOnly loads only the parts that never write (parts.json), so no write function even exists in this session.
Import-Module (Join-Path $PSScriptRoot 'UcxMailExchange.psd1') -ArgumentList 'readOnly' -Force
exit (Invoke-UcxMailDoctor)
