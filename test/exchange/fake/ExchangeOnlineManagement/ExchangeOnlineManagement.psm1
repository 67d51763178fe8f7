# A stateful FAKE of the ExchangeOnlineManagement module, for tests only. Put test/exchange/fake first on PSModulePath
# and `Import-Module ExchangeOnlineManagement` loads this instead of Microsoft's module.
# The tenant lives in the JSON file named by UCX_FAKE_EXO_STATE so separate pwsh processes share it. Cmdlets take the
# real parameter names and answer like Exchange Online: duplicates fail, existing permissions only warn, $null/$true/
# $false stay distinct, a new service principal is "not found" for config.propagationCalls calls, and every
# config.throttleEvery-th call is throttled. Every write and every connect is recorded.
# Like the real module it talks on the host: Connect-ExchangeOnline prints its banner unless -ShowBanner:$false, and
# Disconnect-ExchangeOnline prints "Disconnected successfully !" with Write-Host (which pwsh sends to stdout).
# How Get-MailboxPermission lists a service principal in its User column is undocumented, so config.permissionUserForm
# picks one plausible form (DisplayName, ObjectId or AppId) and tests run each; its -User filter resolves only what the
# cmdlet reference lists (mailbox users, mail users, security groups), never a service principal.
# Like the REST module (v3), the Exchange cmdlets exist only after Connect-ExchangeOnline, which imports them into a
# temporary module: with -CommandName only the named ones, and never one that config.missingCmdlets (the identity's
# roles) withholds, so calling any other raises PowerShell's own "The term 'X' is not recognized ..." error.
# Service errors are non-terminating, as in the REST module's generated cmdlets (see Write-FakeServiceError); this module
# therefore sets no $ErrorActionPreference of its own: like a real module, its cmdlets see the caller's -ErrorAction or
# the global preference, never a script's own (PowerShell/PowerShell#4568).
Set-StrictMode -Version Latest

$script:Session = $null

function Read-FakeTenant {
    $path = $env:UCX_FAKE_EXO_STATE
    if ([string]::IsNullOrEmpty($path)) { throw 'fake ExchangeOnlineManagement: UCX_FAKE_EXO_STATE is not set' }
    Get-Content -LiteralPath $path -Raw -ErrorAction Stop | ConvertFrom-Json -AsHashtable
}

function Save-FakeTenant([hashtable] $Tenant) {
    Set-Content -LiteralPath $env:UCX_FAKE_EXO_STATE -Value ($Tenant | ConvertTo-Json -Depth 20) -Encoding utf8 -ErrorAction Stop
}

# The exception types the fake reports. ManagementObjectNotFoundException: PowerShell/PowerShell#19793 (Exchange's
# "object 'x' couldn't be found on '<server>'"); the others name the kind of failure and no script may depend on them.
$script:NotFoundType = 'Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException'
$script:TaskType = 'Microsoft.Exchange.Configuration.Tasks.TaskException'

function Write-FakeServiceError {
    # The REST module (v3) reports a service error as a NON-terminating error "Write-ErrorMessage : Ex<hex>|<exception
    # type>|<text>" (ucx-mail issue 17; public reports of Ex6F9304|...ManagementObjectNotFoundException|...), so it honours
    # the caller's -ErrorAction or the global $ErrorActionPreference and, under Continue, the caller's script runs on.
    # The hex code is an opaque id: derived here from the text so it is stable, and never read by ucx-mail.
    param([Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet, [Parameter(Mandatory)] [string] $Type, [Parameter(Mandatory)] [string] $Text, [hashtable] $Tenant)
    if ($null -ne $Tenant) { Save-FakeTenant $Tenant }
    $sum = 0
    foreach ($character in ($Type + $Text).ToCharArray()) { $sum = ($sum * 31 + [int]$character) % 0xFFFFFF }
    $exception = [System.Exception]::new(('Ex{0:X6}|{1}|{2}' -f $sum, $Type, $Text))
    $Cmdlet.WriteError([System.Management.Automation.ErrorRecord]::new($exception, "Write-ErrorMessage,$Type", 'NotSpecified', $null))
}

function Test-FakeInjectedFault {
    # Fault injection for the tests: config.failWriteAt = n makes the n-th write from now fail once, before it applies.
    param([Parameter(Mandatory)] [hashtable] $Tenant, [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet, [Parameter(Mandatory)] [string] $Name)
    $Tenant.writeAttempts = [int]$Tenant['writeAttempts'] + 1
    if ([int]$Tenant.config['failWriteAt'] -ne [int]$Tenant.writeAttempts) { return $false }
    $Tenant.config.failWriteAt = 0
    $Tenant.faults += , $Name
    Write-FakeServiceError -Cmdlet $Cmdlet -Type $script:TaskType -Text "$Name failed: injected fault, nothing was changed." -Tenant $Tenant
    $true
}

function ConvertTo-FakeRecord([System.Collections.IDictionary] $Bound) {
    $record = [ordered]@{}
    foreach ($key in $Bound.Keys) {
        $value = $Bound[$key]
        if ($value -is [securestring]) { $value = '<SecureString>' }
        elseif ($key -eq 'AccessToken') { $value = '<AccessToken>' }
        elseif ($value -is [System.Management.Automation.SwitchParameter]) { $value = $value.IsPresent }
        $record[$key] = $value
    }
    $record
}

# Every cmdlet call but connect/disconnect: needs a session, counts towards throttling.
function Enter-FakeCall([string] $Cmdlet) {
    if ($null -eq $script:Session) {
        throw "The term '$Cmdlet' is not available: you must call the Connect-ExchangeOnline cmdlet before calling any other cmdlets."
    }
    $tenant = Read-FakeTenant
    $tenant.callCount = [int]$tenant.callCount + 1
    if (-not $tenant.ContainsKey('calls')) { $tenant.calls = @{} }
    $tenant.calls[$Cmdlet] = [int]$tenant.calls[$Cmdlet] + 1
    $every = [int]$tenant.config.throttleEvery
    if ($every -gt 0 -and ($tenant.callCount % $every) -eq 0) {
        Save-FakeTenant $tenant
        # Throttling budget exhausted: an error that asks to retry (Microsoft: "Micro delays or throttling in Exchange Online PowerShell").
        throw "[Server=FAKEPR01MB0001] The request was throttled: Server Busy, try again later. (429)"
    }
    $delayEvery = [int]$tenant.config['microDelayEvery']
    if ($delayEvery -gt 0 -and ($tenant.callCount % $delayEvery) -eq 0) {
        # Microsoft: 'You might see "Micro delay applied" warnings' - a warning, and the cmdlet still runs; the rest of the line is illustrative.
        Write-Warning 'Micro delay applied. Actual delayed: 21 msecs, Enabled: True, Required: False, Additional info: None.'
    }
    $tenant
}

function Add-FakeWrite([hashtable] $Tenant, [string] $Cmdlet, [System.Collections.IDictionary] $Bound) {
    $Tenant.writes += , ([ordered]@{ cmdlet = $Cmdlet; parameters = (ConvertTo-FakeRecord $Bound) })
}

function Test-FakeVisible([hashtable] $Tenant, [hashtable] $Principal) {
    # A principal created moments ago is invisible while its propagation counter runs down; each lookup spends one.
    if ([int]$Principal.pendingCalls -gt 0) { $Principal.pendingCalls = [int]$Principal.pendingCalls - 1; return $false }
    $true
}

function Find-FakePrincipal([hashtable] $Tenant, [string] $Identity) {
    foreach ($principal in $Tenant.servicePrincipals) {
        if ($Identity -in @($principal.AppId, $principal.ObjectId, $principal.DisplayName, $principal.Identity)) {
            if (Test-FakeVisible $Tenant $principal) { return $principal }
            return $null
        }
    }
    $null
}

function Resolve-FakeUser([hashtable] $Tenant, [string] $User, [System.Management.Automation.PSCmdlet] $Cmdlet) {
    $principal = Find-FakePrincipal $Tenant $User
    if ($null -ne $principal) { return @{ Key = $principal.ObjectId; Display = $principal.DisplayName } }
    if ($Tenant.mailboxes.ContainsKey($User.ToLowerInvariant())) { return @{ Key = $User.ToLowerInvariant(); Display = $User } }
    Write-FakeServiceError -Cmdlet $Cmdlet -Type $script:NotFoundType -Text "User or group `"$User`" wasn't found. Please make sure you've typed it correctly." -Tenant $Tenant
    $null
}

function Get-FakeMailbox([hashtable] $Tenant, [string] $Identity, [System.Management.Automation.PSCmdlet] $Cmdlet) {
    $key = $Identity.ToLowerInvariant()
    if (-not $Tenant.mailboxes.ContainsKey($key)) {
        Write-FakeNotFound -Cmdlet $Cmdlet -Identity $Identity -Tenant $Tenant
        return $null
    }
    $Tenant.mailboxes[$key]
}

function Write-FakeNotFound([System.Management.Automation.PSCmdlet] $Cmdlet, [string] $Identity, [hashtable] $Tenant) {
    # Text and type as quoted in PowerShell/PowerShell#19793.
    Write-FakeServiceError -Cmdlet $Cmdlet -Type $script:NotFoundType -Text "The operation couldn't be performed because object '$Identity' couldn't be found on 'FAKEPR01A001.PROD.OUTLOOK.COM'." -Tenant $Tenant
}

# The fake's own table, independent of the code under test: each -ExchangeEnvironmentName and the audience its tokens
# carry (Microsoft CSS-Exchange Get-CloudServiceEndpoint.ps1 exchangeOnlineEndpoint; ExchangeOnlineManagement's own
# login-host -> scope table lists https://outlook-dod.office365.us/.default for DoD).
$script:EnvironmentAudience = @{
    O365Default = 'https://outlook.office365.com'; O365USGovGCCHigh = 'https://outlook.office365.us'
    O365USGovDoD = 'https://outlook-dod.office365.us'; O365China = 'https://partner.outlook.cn'
}

function Get-FakeTokenAudience([string] $Token) {
    # The aud claim of a JWT, or $null for a token whose payload is not readable JSON (opaque test tokens).
    $segments = $Token.Split('.')
    if ($segments.Count -lt 2) { return $null }
    try {
        $payload = $segments[1].Replace('-', '+').Replace('_', '/')
        $payload += '=' * ((4 - $payload.Length % 4) % 4)
        $claims = [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($payload)) | ConvertFrom-Json
        return [string]$claims.aud
    } catch { return $null }
}

# The cmdlets Connect-ExchangeOnline imports; a real session has hundreds more, which this fake does not model.
$script:ExchangeCmdlets = @('Get-ServicePrincipal', 'New-ServicePrincipal', 'Set-ServicePrincipal', 'Remove-ServicePrincipal',
    'Get-MailboxPermission', 'Add-MailboxPermission', 'Remove-MailboxPermission', 'Get-CASMailbox', 'Set-CASMailbox',
    'Get-TransportConfig', 'Set-TransportConfig')

function Connect-ExchangeOnline {
    # Parameters as in the Connect-ExchangeOnline cmdlet reference (office-docs-powershell Connect-ExchangeOnline.md).
    [CmdletBinding()]
    param(
        [string] $AppId, [string] $CertificateFilePath, [securestring] $CertificatePassword, [string] $CertificateThumbprint,
        [string] $Organization, [string] $AccessToken, [string] $UserPrincipalName, [switch] $ManagedIdentity,
        [string] $ManagedIdentityAccountId, [switch] $ShowBanner, [string] $ConnectionUri, [string[]] $CommandName,
        [switch] $SkipLoadingFormatData, [string] $DelegatedOrganization, [string] $ExchangeEnvironmentName,
        [string] $AzureADAuthorizationEndpointUri, [string] $Prefix, [int] $PageSize, [switch] $Device,
        [switch] $InlineCredential, [pscredential] $Credential, [switch] $SkipLoadingCmdletHelp, [switch] $LoadCmdletHelp
    )
    $tenant = Read-FakeTenant
    $tenant.connects += , (ConvertTo-FakeRecord $PSBoundParameters)
    Save-FakeTenant $tenant
    $expected = $tenant.config.expected
    if ($tenant.config.connectError) { throw [string]$tenant.config.connectError }
    # The module's default is O365Default (Connect-ExchangeOnline reference); GCC High, DoD and 21Vianet tenants require
    # their own value (app-only-auth-powershell-v2). Against another cloud's sign-in a confidential client gets
    # AADSTS900382 "Confidential Client is not supported in Cross Cloud request" (Entra error codes reference).
    $environment = if ($ExchangeEnvironmentName) { $ExchangeEnvironmentName } else { 'O365Default' }
    $tenantEnvironment = if ($tenant.config['exchangeEnvironment']) { [string]$tenant.config['exchangeEnvironment'] } else { 'O365Default' }
    if (-not $script:EnvironmentAudience.ContainsKey($environment)) { throw "Cannot validate argument on parameter 'ExchangeEnvironmentName'. The argument `"$environment`" does not belong to the set of supported environments." }
    if ($environment -ne $tenantEnvironment) { throw 'AADSTS900382: Confidential Client is not supported in Cross Cloud request.' }
    if ($PSBoundParameters.ContainsKey('AccessToken')) {
        # Reference: with -AccessToken "you need to use this parameter with the Organization, DelegatedOrganization, or UserPrincipalName parameters".
        if (-not ($Organization -or $UserPrincipalName -or $DelegatedOrganization)) { throw 'AccessToken needs -Organization, -DelegatedOrganization or -UserPrincipalName.' }
        if ($AccessToken -cne [string]$expected.accessToken) { throw 'UnAuthorized: the access token is not valid for Exchange Online (401).' }
        # A resource accepts only tokens whose aud names it (Access token claims reference: aud is the Application ID
        # URI or the resource's app id); each cloud's Exchange has its own URI.
        $audience = Get-FakeTokenAudience $AccessToken
        if ($audience -and $audience.TrimEnd('/') -ne $script:EnvironmentAudience[$environment] -and $audience -ne '00000002-0000-0ff1-ce00-000000000000') {
            throw 'UnAuthorized: the access token is not valid for Exchange Online (401).'
        }
    } elseif ($CertificateFilePath) {
        if (-not ($AppId -and $Organization)) { throw 'Certificate authentication needs -AppId and -Organization.' }
        if (-not (Test-Path -LiteralPath $CertificateFilePath)) { throw "Could not find certificate file '$CertificateFilePath'." }
        $password = if ($CertificatePassword) { [System.Net.NetworkCredential]::new('', $CertificatePassword).Password } else { '' }
        if ($password -cne [string]$expected.certificatePassword) { throw 'The specified network password is not correct.' }
        if ($AppId -ne [string]$expected.appId) { throw "AADSTS700016: Application with identifier '$AppId' was not found in the directory." }
    } elseif ($ManagedIdentity) {
        # Reference: -ManagedIdentity "You must use this switch with the Organization parameter".
        if (-not $Organization) { throw 'ManagedIdentity needs -Organization.' }
        if (-not $expected.managedIdentity) { throw 'ManagedIdentityCredential authentication unavailable: no managed identity endpoint found.' }
        # Reference: "For user-assigned managed identity, you must also use this switch with the ManagedIdentityAccountId parameter";
        # the reply of the identity endpoint is not documented there, so the script must not depend on this text.
        $accountId = [string]$expected['managedIdentityAccountId']
        if ($accountId -and $ManagedIdentityAccountId -ne $accountId) { throw 'ManagedIdentityCredential authentication failed: no managed identity found for the requested client id.' }
    } elseif ($ManagedIdentityAccountId) {
        # Reference: -ManagedIdentityAccountId "You must use this parameter with the Organization parameter and the ManagedIdentity switch".
        throw 'ManagedIdentityAccountId needs -ManagedIdentity.'
    } else {
        throw 'Interactive sign-in is not possible in a non-interactive session.'
    }
    if ($Organization -and $Organization -ne [string]$tenant.config.organization) { throw "AADSTS90002: Tenant '$Organization' not found." }
    $script:Session = @{ Organization = $Organization }
    # -CommandName imports only the named cmdlets (reference), and RBAC hides the cmdlets no role grants (office-docs-powershell issue 8001).
    $loaded = @($script:ExchangeCmdlets | Where-Object { (-not $CommandName -or $CommandName -contains $_) -and @($tenant.config['missingCmdlets']) -notcontains $_ })
    $definitions = @{}
    foreach ($name in $loaded) { $definitions[$name] = (Get-Item -LiteralPath "function:$name").ScriptBlock }
    $session = New-Module -Name 'tmpEXO_fake' -ArgumentList $definitions -ScriptBlock {
        param([hashtable] $Definitions)
        foreach ($name in $Definitions.Keys) { Set-Item -LiteralPath "function:script:$name" -Value $Definitions[$name] }
        Export-ModuleMember -Function @($Definitions.Keys)
    }
    Import-Module $session -Global -Force -DisableNameChecking
    if (-not $PSBoundParameters.ContainsKey('ShowBanner') -or $ShowBanner) {
        Write-Host '----------------------------------------------------------------------------------------'
        Write-Host 'This V3 EXO PowerShell module contains new REST API backed Exchange Online cmdlets. (fake)'
        Write-Host '----------------------------------------------------------------------------------------'
    }
}

function Disconnect-ExchangeOnline {
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    param()
    $tenant = Read-FakeTenant
    $tenant.disconnects = [int]$tenant.disconnects + 1
    Save-FakeTenant $tenant
    $script:Session = $null
    # The session's temporary module goes with the session, and its cmdlets with it.
    Remove-Module -Name 'tmpEXO_fake' -Force -ErrorAction SilentlyContinue
    Write-Host 'Disconnected successfully !'
}

function Get-ServicePrincipal {
    [CmdletBinding()]
    param([Parameter(Position = 0)] [string] $Identity, [string] $Organization)
    $tenant = Enter-FakeCall 'Get-ServicePrincipal'
    if ($Identity) {
        $principal = Find-FakePrincipal $tenant $Identity
        Save-FakeTenant $tenant
        if ($null -eq $principal) { Write-FakeNotFound $PSCmdlet $Identity; return }
        return (ConvertTo-FakePrincipalView $tenant $principal)
    }
    # An empty identity lists every service principal in the tenant.
    $visible = @($tenant.servicePrincipals | Where-Object { Test-FakeVisible $tenant $_ })
    Save-FakeTenant $tenant
    $visible | ForEach-Object { ConvertTo-FakePrincipalView $tenant $_ }
}

# The Entra object id is ObjectId in current output and ServiceId in older output (the parameter was renamed in 2023).
function ConvertTo-FakePrincipalView([hashtable] $Tenant, [hashtable] $Principal) {
    $view = [ordered]@{ AppId = $Principal.AppId; DisplayName = $Principal.DisplayName; Identity = $Principal.Identity }
    $idProperty = $(if ([string]$Tenant.config['principalIdProperty']) { [string]$Tenant.config['principalIdProperty'] } else { 'ObjectId' })
    $view[$idProperty] = $Principal.ObjectId
    [pscustomobject]$view
}

function New-ServicePrincipal {
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)] [string] $AppId, [string] $ObjectId, [string] $ServiceId, [string] $DisplayName, [string] $Organization)
    $tenant = Enter-FakeCall 'New-ServicePrincipal'
    if (Test-FakeInjectedFault $tenant $PSCmdlet 'New-ServicePrincipal') { return }
    Add-FakeWrite $tenant 'New-ServicePrincipal' $PSBoundParameters
    if ($ServiceId) { Write-Warning 'The ServiceId parameter is deprecated; use ObjectId.' }
    $id = if ($ObjectId) { $ObjectId } else { $ServiceId }
    # Exchange checks the id against Entra: an enterprise application Entra has not replicated yet (config.entraLagCalls more
    # calls) or an id that is no enterprise application's (config.entraServicePrincipals) is refused; text from public scripts that retry it.
    $entra = @($tenant.config['entraServicePrincipals'])
    $known = ($null -eq $tenant.config['entraServicePrincipals']) -or @($entra | Where-Object { $_.ObjectId -eq $id -and $_.AppId -eq $AppId }).Count -gt 0
    if ([int]$tenant.config['entraLagCalls'] -gt 0) { $tenant.config.entraLagCalls = [int]$tenant.config.entraLagCalls - 1; $known = $false }
    if (-not $known) {
        Write-FakeServiceError -Cmdlet $PSCmdlet -Type $script:TaskType -Text "AADServicePrincipalNotFound. No ServicePrincipal with Object Id '$id' and App Id '$AppId' is registered in Azure Active Directory." -Tenant $tenant
        return
    }
    if (@($tenant.servicePrincipals | Where-Object { $_.AppId -eq $AppId -or $_.ObjectId -eq $id }).Count -gt 0) {
        # The duplicate reply is undocumented: the script must learn the outcome by listing principals again, not from this text.
        Write-FakeServiceError -Cmdlet $PSCmdlet -Type $script:TaskType -Text "A service principal with AppId '$AppId' already exists." -Tenant $tenant
        return
    }
    $principal = @{ AppId = $AppId; ObjectId = $id; DisplayName = $(if ($DisplayName) { $DisplayName } else { $AppId }); Identity = $id; pendingCalls = [int]$tenant.config.propagationCalls }
    $tenant.servicePrincipals += , $principal
    Save-FakeTenant $tenant
    [pscustomobject]@{ AppId = $AppId; ObjectId = $id; DisplayName = $principal.DisplayName }
}

function Set-ServicePrincipal {
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory, Position = 0)] [string] $Identity, [string] $DisplayName)
    $tenant = Enter-FakeCall 'Set-ServicePrincipal'
    if (Test-FakeInjectedFault $tenant $PSCmdlet 'Set-ServicePrincipal') { return }
    Add-FakeWrite $tenant 'Set-ServicePrincipal' $PSBoundParameters
    $principal = Find-FakePrincipal $tenant $Identity
    if ($null -eq $principal) { Write-FakeNotFound $PSCmdlet $Identity $tenant; return }
    $principal.DisplayName = $DisplayName
    Save-FakeTenant $tenant
}

function Remove-ServicePrincipal {
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    param([Parameter(Mandatory, Position = 0)] [string] $Identity)
    $tenant = Enter-FakeCall 'Remove-ServicePrincipal'
    if (Test-FakeInjectedFault $tenant $PSCmdlet 'Remove-ServicePrincipal') { return }
    Add-FakeWrite $tenant 'Remove-ServicePrincipal' $PSBoundParameters
    $principal = Find-FakePrincipal $tenant $Identity
    if ($null -eq $principal) { Write-FakeNotFound $PSCmdlet $Identity $tenant; return }
    $tenant.servicePrincipals = @($tenant.servicePrincipals | Where-Object { $_.ObjectId -ne $principal.ObjectId })
    Save-FakeTenant $tenant
}

function Get-MailboxPermission {
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)] [string] $Identity, [string] $User, [switch] $Owner)
    $tenant = Enter-FakeCall 'Get-MailboxPermission'
    $mailbox = Get-FakeMailbox $tenant $Identity $PSCmdlet
    if ($null -eq $mailbox) { return }
    $entries = @(
        [pscustomobject]@{ Identity = $Identity; User = 'NT AUTHORITY\SELF'; AccessRights = @('FullAccess', 'ReadPermission'); IsInherited = $false; Deny = $false; InheritanceType = 'All'; UserSid = 'S-1-5-10'; UserKey = '' }
        [pscustomobject]@{ Identity = $Identity; User = 'FAKEPR01A001\Organization Management'; AccessRights = @('FullAccess'); IsInherited = $true; Deny = $true; InheritanceType = 'All'; UserSid = 'S-1-5-21-1-2-3-1001'; UserKey = '' }
    )
    foreach ($permission in $mailbox.permissions) {
        # Undocumented for a service principal: the vendor's troubleshooting step 5 shows its display name, Microsoft's OAuth
        # article grants by its object id, so config.permissionUserForm picks DisplayName, ObjectId or AppId; a user shows its address.
        $display = [string]$permission.User
        $principal = @($tenant.servicePrincipals | Where-Object { $_.ObjectId -eq $permission.User }) | Select-Object -First 1
        if ($principal) {
            $form = [string]$tenant.config['permissionUserForm']
            $display = $(switch ($form) { 'ObjectId' { $principal.ObjectId } 'AppId' { $principal.AppId } default { $principal.DisplayName } })
        }
        $entries += [pscustomobject]@{ Identity = $Identity; User = $display; AccessRights = @($permission.AccessRights); IsInherited = $false; Deny = [bool]$permission.Deny; InheritanceType = 'All'; UserSid = 'S-1-5-21-1-2-3-' + [Math]::Abs($display.GetHashCode()); UserKey = $permission.User }
    }
    if ($User) {
        # -User takes mailbox users, mail users and security groups; a service principal is not one of them.
        $key = $User.ToLowerInvariant()
        if (-not $tenant.mailboxes.ContainsKey($key)) { Write-FakeNotFound $PSCmdlet $User $tenant; return }
        $entries = @($entries | Where-Object { $_.UserKey -eq $key })
    }
    Save-FakeTenant $tenant
    $entries | Select-Object Identity, User, AccessRights, IsInherited, Deny, InheritanceType, UserSid
}

function Add-MailboxPermission {
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory, Position = 0)] [string] $Identity, [Parameter(Mandatory)] [string] $User,
        [Parameter(Mandatory)] [string[]] $AccessRights, [bool] $AutoMapping = $true, [string] $InheritanceType
    )
    $tenant = Enter-FakeCall 'Add-MailboxPermission'
    if (Test-FakeInjectedFault $tenant $PSCmdlet 'Add-MailboxPermission') { return }
    Add-FakeWrite $tenant 'Add-MailboxPermission' $PSBoundParameters
    $mailbox = Get-FakeMailbox $tenant $Identity $PSCmdlet
    if ($null -eq $mailbox) { return }
    $resolved = Resolve-FakeUser $tenant $User $PSCmdlet
    if ($null -eq $resolved) { return }
    $existing = @($mailbox.permissions | Where-Object { $_.User -eq $resolved.Key -and @($_.AccessRights) -contains $AccessRights[0] })
    if ($existing.Count -gt 0) {
        Save-FakeTenant $tenant
        Write-Warning "The appropriate access control entry is already present on the object `"$Identity`" for account `"$($resolved.Display)`"."
        return
    }
    $mailbox.permissions += , @{ User = $resolved.Key; AccessRights = @($AccessRights); Deny = $false; AutoMapping = $AutoMapping }
    Save-FakeTenant $tenant
    [pscustomobject]@{ Identity = $Identity; User = $resolved.Display; AccessRights = $AccessRights; IsInherited = $false; Deny = $false }
}

function Remove-MailboxPermission {
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    param(
        [Parameter(Mandatory, Position = 0)] [string] $Identity, [Parameter(Mandatory)] [string] $User,
        [Parameter(Mandatory)] [string[]] $AccessRights, [string] $InheritanceType
    )
    $tenant = Enter-FakeCall 'Remove-MailboxPermission'
    if (Test-FakeInjectedFault $tenant $PSCmdlet 'Remove-MailboxPermission') { return }
    Add-FakeWrite $tenant 'Remove-MailboxPermission' $PSBoundParameters
    $mailbox = Get-FakeMailbox $tenant $Identity $PSCmdlet
    if ($null -eq $mailbox) { return }
    $resolved = Resolve-FakeUser $tenant $User $PSCmdlet
    if ($null -eq $resolved) { return }
    $kept = @($mailbox.permissions | Where-Object { -not ($_.User -eq $resolved.Key -and @($_.AccessRights) -contains $AccessRights[0]) })
    if ($kept.Count -eq @($mailbox.permissions).Count) {
        Write-Warning "Can't remove the access control entry on the object `"$Identity`" for account `"$($resolved.Display)`" because the ACE doesn't exist on the object."
    }
    $mailbox.permissions = $kept
    Save-FakeTenant $tenant
}

function Get-CASMailbox {
    [CmdletBinding()]
    param([Parameter(Position = 0)] [string] $Identity)
    $tenant = Enter-FakeCall 'Get-CASMailbox'
    if ([string]::IsNullOrEmpty($Identity)) {
        # Microsoft: "The value $null or a non-existent value for the Identity parameter returns *all* objects".
        Save-FakeTenant $tenant
        return @($tenant.mailboxes.Keys | ForEach-Object { ConvertTo-FakeCasMailboxView $_ $tenant.mailboxes[$_] })
    }
    $mailbox = Get-FakeMailbox $tenant $Identity $PSCmdlet
    if ($null -eq $mailbox) { return }
    Save-FakeTenant $tenant
    ConvertTo-FakeCasMailboxView $Identity $mailbox
}

# Set-CASMailbox reference: ImapEnabled and PopEnabled are $true by default ("This value is the default"); a CAS mailbox plan
# such as ExchangeOnlineDeskless sets them $false at licensing (Set-CASMailboxPlan reference). SMTP AUTH is $null, $true or $false.
function ConvertTo-FakeCasMailboxView([string] $Identity, [System.Collections.IDictionary] $Mailbox) {
    $imap = $(if ($Mailbox.Contains('imapEnabled')) { [bool]$Mailbox.imapEnabled } else { $true })
    $pop = $(if ($Mailbox.Contains('popEnabled')) { [bool]$Mailbox.popEnabled } else { $true })
    [pscustomobject]@{ Identity = $Identity; PrimarySmtpAddress = $Identity; SmtpClientAuthenticationDisabled = $Mailbox.smtpClientAuthenticationDisabled; ImapEnabled = $imap; PopEnabled = $pop }
}

function Set-CASMailbox {
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory, Position = 0)] [string] $Identity, [AllowNull()] [Nullable[bool]] $SmtpClientAuthenticationDisabled,
        [bool] $ImapEnabled, [bool] $PopEnabled
    )
    $tenant = Enter-FakeCall 'Set-CASMailbox'
    if (Test-FakeInjectedFault $tenant $PSCmdlet 'Set-CASMailbox') { return }
    Add-FakeWrite $tenant 'Set-CASMailbox' $PSBoundParameters
    $mailbox = Get-FakeMailbox $tenant $Identity $PSCmdlet
    if ($null -eq $mailbox) { return }
    if ($PSBoundParameters.ContainsKey('SmtpClientAuthenticationDisabled')) { $mailbox.smtpClientAuthenticationDisabled = $SmtpClientAuthenticationDisabled }
    if ($PSBoundParameters.ContainsKey('ImapEnabled')) { $mailbox.imapEnabled = $ImapEnabled }
    if ($PSBoundParameters.ContainsKey('PopEnabled')) { $mailbox.popEnabled = $PopEnabled }
    Save-FakeTenant $tenant
}

function Get-TransportConfig {
    [CmdletBinding()]
    param()
    $tenant = Enter-FakeCall 'Get-TransportConfig'
    Save-FakeTenant $tenant
    # Set-TransportConfig reference: SmtpClientAuthenticationDisabled is $true or $false, $true by default for organizations created after January 2020.
    [pscustomobject]@{ Identity = 'Transport Settings'; SmtpClientAuthenticationDisabled = [bool]$tenant.transportConfig.smtpClientAuthenticationDisabled }
}

function Set-TransportConfig {
    [CmdletBinding(SupportsShouldProcess)]
    param([bool] $SmtpClientAuthenticationDisabled)
    $tenant = Enter-FakeCall 'Set-TransportConfig'
    if (Test-FakeInjectedFault $tenant $PSCmdlet 'Set-TransportConfig') { return }
    Add-FakeWrite $tenant 'Set-TransportConfig' $PSBoundParameters
    if ($PSBoundParameters.ContainsKey('SmtpClientAuthenticationDisabled')) { $tenant.transportConfig.smtpClientAuthenticationDisabled = $SmtpClientAuthenticationDisabled }
    Save-FakeTenant $tenant
}

# Only the connection cmdlets exist before Connect-ExchangeOnline, as in the REST module.
Export-ModuleMember -Function Connect-ExchangeOnline, Disconnect-ExchangeOnline
