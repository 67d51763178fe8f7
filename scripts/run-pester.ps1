<#
.SYNOPSIS
    Runs every *.Tests.ps1 under test/ and prints the totals on one line.
.PARAMETER ShardCount
    Split the suites into this many shards, so that several PowerShell processes can share them (scripts/run-tests.sh).
.PARAMETER ShardIndex
    Which shard this process runs (0 to ShardCount - 1).
#>
param(
    [Parameter(Mandatory)] [string] $PesterManifest,
    [ValidateRange(1, 16)] [int] $ShardCount = 1,
    [ValidateRange(0, 15)] [int] $ShardIndex = 0
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

Import-Module $PesterManifest -Force
$suites = @(Get-ChildItem -Path (Join-Path $PSScriptRoot '..' 'test') -Recurse -Filter '*.Tests.ps1')
if ($suites.Count -eq 0) {
    Write-Host 'pester: no *.Tests.ps1 suites under test/ yet: nothing to run.'
    exit 0
}
if ($ShardIndex -ge $ShardCount) { throw "ShardIndex $ShardIndex must be below ShardCount $ShardCount." }
# Largest suite first, dealt round-robin: the file size stands in for the run time, so the shards come out even.
$ordered = @($suites | Sort-Object -Property @{ Expression = 'Length'; Descending = $true }, FullName)
$suites = @(for ($i = $ShardIndex; $i -lt $ordered.Count; $i += $ShardCount) { $ordered[$i] })
$shardName = if ($ShardCount -gt 1) { "pester (shard $($ShardIndex + 1) of $ShardCount)" } else { 'pester' }
if ($suites.Count -eq 0) {
    Write-Host "${shardName}: no suites in this shard."
    exit 0
}
$configuration = New-PesterConfiguration
$configuration.Run.Path = $suites.FullName
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $configuration
# The plain closing line that CI reads in any language.
Write-Host "${shardName}: $($result.PassedCount) passed, $($result.FailedCount) failed, $($result.SkippedCount) skipped"
if ($result.FailedCount -gt 0 -or $result.PassedCount -eq 0) { exit 1 }
