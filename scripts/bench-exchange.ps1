<#
.SYNOPSIS
    Benchmarks the Exchange steps against the fake tenant: 1, 10 and 50 mailboxes, first run and re-run.
.DESCRIPTION
    Runs components/exchange/Invoke-UcxMailExchange.ps1 in its own pwsh process, as the command resource does, and
    prints per run the Connect-ExchangeOnline calls, the writes, the cmdlet calls and the wall time.
    Targets: 1 connect for any number of mailboxes, 0 writes on a re-run. Exits 1 if a target is missed.
#>
[CmdletBinding()]
param([int[]] $MailboxCounts = @(1, 10, 50))
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

Import-Module (Join-Path $PSScriptRoot '../test/exchange/fake/FakeExchangeTenant.psm1') -Force
$work = Join-Path ([IO.Path]::GetTempPath()) ("ucx-bench-" + [guid]::NewGuid())
New-Item -ItemType Directory -Path $work | Out-Null
$missed = 0
$rows = foreach ($count in $MailboxCounts) {
    $addresses = @(1..$count | ForEach-Object { 'bench{0:d3}@contoso.com' -f $_ })
    $mailboxes = @{}
    for ($i = 0; $i -lt $count; $i++) { $mailboxes[$addresses[$i]] = @($null, $true, $false)[$i % 3] }
    $tenantPath = New-FakeExchangeTenant -Path (Join-Path $work "tenant-$count.json") -Mailboxes $mailboxes -Expected @{ managedIdentity = $true }
    $environment = @{
        UCX_EXCHANGE_AUTH = 'managedIdentity'; UCX_EXCHANGE_ORGANIZATION = 'contoso.onmicrosoft.com'
        UCX_EXCHANGE_APP_ID = '0f4d6a1e-7c1b-4c53-9d6e-3a8b2f1c0a11'; UCX_EXCHANGE_SP_OBJECT_ID = '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b'
        UCX_EXCHANGE_SP_DISPLAY_NAME = 'UCXSuiteMail'; UCX_EXCHANGE_MAILBOXES = (ConvertTo-Json -InputObject $addresses -Compress)
        UCX_EXCHANGE_SMTP_AUTH = 'mailbox'
    }
    $previous = $null
    foreach ($pass in 'first run', 're-run') {
        Clear-FakeExchangeLog -Path $tenantPath
        $before = (Get-FakeExchangeTenant -Path $tenantPath).callCount
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment $environment -PreviousStdout $previous
        $clock.Stop()
        if ($run.ExitCode -ne 0) { throw "bench: $count mailboxes, $pass failed: $($run.Stderr)" }
        $tenant = Get-FakeExchangeTenant -Path $tenantPath
        $connects = @($tenant.connects).Count
        $writes = @($tenant.writes).Count
        if ($connects -ne 1 -or ($pass -eq 're-run' -and $writes -ne 0)) { $missed++ }
        [pscustomobject]@{
            Mailboxes = $count; Run = $pass; Connects = $connects; Writes = $writes
            Calls = $tenant.callCount - $before; 'Wall (s)' = [Math]::Round($clock.Elapsed.TotalSeconds, 2)
        }
        $previous = $run.Stdout
    }
}
Remove-Item -LiteralPath $work -Recurse -Force
$rows | Format-Table -AutoSize | Out-String -Width 120 | Write-Output
Write-Output ('targets: 1 Connect-ExchangeOnline per run for any N, 0 writes on a re-run -> ' + $(if ($missed -eq 0) { 'met' } else { "MISSED in $missed run(s)" }))
if ($missed -gt 0) { exit 1 }
