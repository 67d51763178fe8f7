<#
.SYNOPSIS
    Runs every *.Tests.ps1 under test/ and prints the totals on one line.
#>
param([Parameter(Mandatory)] [string] $PesterManifest)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

Import-Module $PesterManifest -Force
$suites = @(Get-ChildItem -Path (Join-Path $PSScriptRoot '..' 'test') -Recurse -Filter '*.Tests.ps1')
if ($suites.Count -eq 0) {
    Write-Host 'pester: no *.Tests.ps1 suites under test/ yet: nothing to run.'
    exit 0
}
$configuration = New-PesterConfiguration
$configuration.Run.Path = $suites.FullName
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $configuration
# The plain closing line that CI reads in any language.
Write-Host "pester: $($result.PassedCount) passed, $($result.FailedCount) failed, $($result.SkippedCount) skipped"
if ($result.FailedCount -gt 0 -or $result.PassedCount -eq 0) { exit 1 }
