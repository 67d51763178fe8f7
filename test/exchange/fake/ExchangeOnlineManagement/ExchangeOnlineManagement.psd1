# The FAKE module's manifest: a version at the minimum ucx-mail requires, so Import-Module -MinimumVersion finds it.
@{
    RootModule        = 'ExchangeOnlineManagement.psm1'
    ModuleVersion     = '3.10.0'
    GUID              = '6a0c2f4e-1d3b-4c5a-9e8f-7b6a5c4d3e2f'
    Description       = 'FAKE ExchangeOnlineManagement for ucx-mail tests only.'
    FunctionsToExport = @('Connect-ExchangeOnline', 'Disconnect-ExchangeOnline')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
