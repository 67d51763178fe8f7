# UcxMailExchange: the Exchange Online half of the UCX Suite mail procedure, as an idempotent, reversible reconcile.
# Loads its parts in the order of parts.json, the one list that the manual setup script also concatenates, so the
# parts stay Windows PowerShell 5.1 compatible. -ArgumentList readOnly loads only the parts that never write.
param([ValidateSet('all', 'readOnly')] [string] $Load = 'all')
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# The shared facts (clouds, role names, cmdlet roles, rules) the parts read; the manual script renders them instead.
$script:UcxContract = ConvertFrom-Json -InputObject (Get-Content -LiteralPath (Join-Path $PSScriptRoot '../../contract/ucx-mail.json') -Raw)
$ucxPartList = ConvertFrom-Json -InputObject (Get-Content -LiteralPath (Join-Path $PSScriptRoot 'parts.json') -Raw)
foreach ($ucxPart in $ucxPartList.parts) {
    if ($Load -eq 'readOnly' -and $ucxPart.writes) { continue }
    . (Join-Path $PSScriptRoot $ucxPart.file)
}
# Every function, as in the manual script (New-Module exports all): an entry script or a new part may use any of them.
Export-ModuleMember -Function '*-Ucx*'
Remove-Variable -Name ucxPartList, ucxPart
