@{
    RootModule        = 'UcxMailExchange.psm1'
    ModuleVersion     = '1.0.0'
    GUID              = '5d0c7f3e-2b8a-4a77-9a57-0f6f3c1a9e41'
    Author            = 'ucx-mail'
    Description       = 'Idempotent, reversible Exchange Online steps for Imagicle UCX Suite mail access: service principal, FullAccess on the mailboxes, SMTP client authentication.'
    PowerShellVersion = '5.1'
    # The psm1 exports the functions of the parts it loads (parts.json).
    FunctionsToExport = '*'
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
