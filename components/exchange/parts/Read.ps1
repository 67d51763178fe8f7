# Read-only reads: service principals by AppId, the identities a grant may be listed under, FullAccess, CAS mailbox
# and transport settings, and the previous run's JSON. Nothing here writes, so a diagnosis can load it alone.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function Test-UcxSameSetting {
    <#
    .SYNOPSIS
        Compares two SmtpClientAuthenticationDisabled values where $null (inherit the organization) differs from $false.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param([AllowNull()] $Left, [AllowNull()] $Right)
    if ($null -eq $Left -or $null -eq $Right) { return ($null -eq $Left -and $null -eq $Right) }
    [bool]$Left -eq [bool]$Right
}

function ConvertTo-UcxPlainData {
    <#
    .SYNOPSIS
        Turns ConvertFrom-Json output (PSCustomObject) into ordered hashtables and arrays, keeping $null values and key presence.
    #>
    [CmdletBinding()]
    param([AllowNull()] $InputObject)
    if ($null -eq $InputObject) { return $null }
    if ($InputObject -is [System.Management.Automation.PSCustomObject]) {
        $table = [ordered]@{}
        foreach ($property in $InputObject.PSObject.Properties) { $table[$property.Name] = ConvertTo-UcxPlainData $property.Value }
        return $table
    }
    if ($InputObject -is [System.Collections.IDictionary]) {
        $table = [ordered]@{}
        foreach ($key in $InputObject.Keys) { $table[[string]$key] = ConvertTo-UcxPlainData $InputObject[$key] }
        return $table
    }
    if ($InputObject -is [System.Collections.IEnumerable] -and $InputObject -isnot [string]) {
        return , @($InputObject | ForEach-Object { ConvertTo-UcxPlainData $_ })
    }
    $InputObject
}

function ConvertFrom-UcxLegacyState {
    <#
    .SYNOPSIS
        Turns the v1 JSON (one entry per mailbox) into the v2 shape (one table per recorded setting, a list of grants).
    .DESCRIPTION
        In v1 a mailbox's fullAccess $false meant ucx-mail made the grant; a setting key meant its value before ucx-mail.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [System.Collections.IDictionary] $State)
    $previous = [ordered]@{ servicePrincipal = $State['previous']['servicePrincipal']; granted = @() }
    foreach ($setting in $script:MailboxSettingNames) { $previous[$setting] = [ordered]@{} }
    $granted = New-Object System.Collections.Generic.List[string]
    foreach ($mailbox in @($State['previous']['mailboxes'].Keys)) {
        $entry = $State['previous']['mailboxes'][$mailbox]
        if ($entry.Contains('fullAccess') -and -not $entry['fullAccess']) { $granted.Add([string]$mailbox) }
        foreach ($setting in $script:MailboxSettingNames) { if ($entry.Contains($setting)) { $previous[$setting][$mailbox] = $entry[$setting] } }
    }
    $previous['granted'] = @($granted)
    if ($State['previous'].Contains('organization')) { $previous['organization'] = $State['previous']['organization'] }
    $converted = [ordered]@{}
    foreach ($key in $State.Keys) { $converted[$key] = $State[$key] }
    $converted['schema'] = $script:StateSchema
    $converted['previous'] = $previous
    $converted
}

function Find-UcxSchemaLine {
    <#
    .SYNOPSIS
        The last JSON line in Text whose schema is one of Schema, as hashtables, or $null when there is none.
    .DESCRIPTION
        Only a line that carries one of this module's schema markers counts, so stray lines on stdout cannot confuse it.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Text, [Parameter(Mandatory)] [string[]] $Schema)
    $lines = @($Text -split "`r?`n" | Where-Object { $_.Trim().StartsWith('{') })
    [array]::Reverse($lines)
    foreach ($line in $lines) {
        try { $parsed = ConvertTo-UcxPlainData (ConvertFrom-Json -InputObject $line) } catch { continue }
        if ($parsed -is [System.Collections.IDictionary] -and $parsed.Contains('schema') -and $Schema -contains $parsed['schema']) { return $parsed }
    }
    $null
}

function ConvertFrom-UcxExchangeState {
    <#
    .SYNOPSIS
        Reads the JSON line of a previous run (PULUMI_COMMAND_STDOUT) and returns it as hashtables, or $null if empty.
    #>
    [CmdletBinding()]
    param([AllowNull()] [AllowEmptyString()] [string] $Json)
    if ([string]::IsNullOrWhiteSpace($Json)) { return $null }
    $parsed = Find-UcxSchemaLine -Text $Json -Schema @($script:StateSchema, $script:LegacyStateSchema)
    if ($null -ne $parsed -and $parsed['schema'] -eq $script:LegacyStateSchema) { return (ConvertFrom-UcxLegacyState $parsed) }
    if ($null -ne $parsed) {
        $previous = $parsed['previous']
        if (-not $previous.Contains('granted')) { $previous['granted'] = @() }
        foreach ($setting in $script:MailboxSettingNames) { if (-not $previous.Contains($setting)) { $previous[$setting] = [ordered]@{} } }
        $previous['granted'] = @($previous['granted'])
        return $parsed
    }
    throw (New-UcxFailure -ErrorId 'UcxMailExchange.BadPreviousState' -Message (
            'PULUMI_COMMAND_STDOUT does not hold the JSON line of a previous ucx-mail Exchange run, so it is unclear what to ' +
            'restore; if that state was edited by hand, remove the command resource with `pulumi state delete <urn>` and ' +
            'run `pulumi up` again, which starts from what it finds.'))
}

function Get-UcxExchangeServicePrincipalList {
    <#
    .SYNOPSIS
        Lists every Exchange service principal (Get-ServicePrincipal with an empty -Identity lists them all).
    #>
    [CmdletBinding()]
    param()
    , @(Invoke-UcxExchangeStep -Step 'Get-ServicePrincipal' -Action { @(Get-ServicePrincipal -ErrorAction Stop) } | Where-Object { $null -ne $_ })
}

function Get-UcxExchangeServicePrincipal {
    <#
    .SYNOPSIS
        Finds the Exchange service principal for an application id in a list, or lists them first.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $AppId, [AllowNull()] [AllowEmptyCollection()] [object[]] $All)
    if (-not $PSBoundParameters.ContainsKey('All')) { $All = Get-UcxExchangeServicePrincipalList }
    $matching = @($All | Where-Object { $null -ne $_ -and [string]$_.AppId -eq $AppId })
    if ($matching.Count -eq 0) { return $null }
    # One AppId is one principal; more would mean the read did not answer what was asked.
    Get-UcxExactlyOne -Cmdlet 'Get-ServicePrincipal' -Identity $AppId -Answer $matching
}

function Get-UcxPrincipalObjectId {
    <#
    .SYNOPSIS
        The Entra object id of an Exchange service principal as Get-ServicePrincipal shows it, or $null.
    .DESCRIPTION
        Current output calls it ObjectId, older output ServiceId; the first of them that holds a GUID counts. Identity is
        Exchange's own id of the object, not the Entra object id, so it never counts: a principal that shows only an
        Identity is compared by nothing and never refused.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowNull()] $Principal)
    if ($null -eq $Principal) { return $null }
    foreach ($property in @('ObjectId', 'ServiceId')) {
        $member = $Principal.PSObject.Properties[$property]
        if ($null -ne $member -and [string]$member.Value -match '^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$') { return ([string]$member.Value).ToLowerInvariant() }
    }
    $null
}

function Get-UcxPrincipalKey {
    <#
    .SYNOPSIS
        The values under which Get-MailboxPermission may list a principal: its ids and every display name only it has.
    .DESCRIPTION
        How Get-MailboxPermission shows a service principal in its User column is undocumented: the display name (the
        vendor's troubleshooting step 5), the object id and the app id are all plausible, so each counts; a name only
        while no other service principal carries it too.
    #>
    [CmdletBinding()]
    [OutputType([string[]])]
    param(
        [Parameter(Mandatory)] [string] $AppId,
        [Parameter(Mandatory)] [string] $ObjectId,
        [AllowEmptyCollection()] [string[]] $Name = @(),
        [AllowNull()] [AllowEmptyCollection()] [object[]] $All = @(),
        [AllowEmptyCollection()] [string[]] $OtherId = @()
    )
    $taken = @($All | Where-Object { $null -ne $_ -and [string]$_.AppId -ne $AppId } | ForEach-Object { ([string]$_.DisplayName).ToLowerInvariant() })
    $keys = @($ObjectId, $AppId) + @($OtherId | Where-Object { -not [string]::IsNullOrWhiteSpace($_) }) + @($Name | Where-Object { -not [string]::IsNullOrWhiteSpace($_) -and $taken -notcontains $_.ToLowerInvariant() })
    , @($keys | Select-Object -Unique)
}

function Test-UcxFullAccess {
    <#
    .SYNOPSIS
        Tells whether the principal holds an explicit, non-deny FullAccess permission on the mailbox.
    .DESCRIPTION
        Reads the whole list like the vendor's troubleshooting step 5 and matches the User column against the principal's
        keys: the -User filter of Get-MailboxPermission is documented for users and groups only, not service principals.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param([Parameter(Mandatory)] [string] $Mailbox, [Parameter(Mandatory)] [AllowEmptyCollection()] [string[]] $PrincipalKey)
    if ($PrincipalKey.Count -eq 0) { return $false }
    $entries = Invoke-UcxExchangeStep -Step "Get-MailboxPermission $Mailbox" -Action { @(Get-MailboxPermission -Identity $Mailbox -ErrorAction Stop) }
    $granted = @($entries | Where-Object {
            $null -ne $_ -and -not $_.Deny -and -not $_.IsInherited -and (@($_.AccessRights) -join ',') -match 'FullAccess' -and
            $PrincipalKey -contains ([string]$_.User).Trim()
        })
    $granted.Count -gt 0
}

function Get-UcxExactlyOne {
    <#
    .SYNOPSIS
        Returns the one object a Get-* by identity answered, and stops when it answered none or several.
    .DESCRIPTION
        Microsoft warns that a $null or unknown -Identity can return every object, so a read that is not exactly one
        object is never taken for the object asked about.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Cmdlet, [Parameter(Mandatory)] [string] $Identity, [AllowNull()] [AllowEmptyCollection()] [object[]] $Answer)
    $objects = @($Answer | Where-Object { $null -ne $_ })
    if ($objects.Count -eq 1) { return $objects[0] }
    throw (New-UcxFailure -ErrorId 'UcxMailExchange.NotExactlyOne' -Message (
            "$Cmdlet -Identity '$Identity' answered $($objects.Count) objects instead of one, so ucx-mail stopped before " +
            "changing anything; check that '$Identity' names exactly one recipient (its primary SMTP address) and run again."))
}

function Get-UcxCasMailboxSetting {
    <#
    .SYNOPSIS
        Reads a mailbox's client access settings: SmtpClientAuthenticationDisabled ($null, $true or $false), ImapEnabled
        and PopEnabled. A missing mailbox is a config error unless -AllowMissing.
    .OUTPUTS
        A hashtable with Exists, SmtpClientAuthenticationDisabled, ImapEnabled, PopEnabled and Value (the SMTP setting).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Mailbox, [switch] $AllowMissing)
    try {
        $answer = Invoke-UcxExchangeStep -Step "Get-CASMailbox $Mailbox" -Action { @(Get-CASMailbox -Identity $Mailbox -ErrorAction Stop) }
    } catch {
        if (-not (Test-UcxNotFoundError -Message $_.Exception.Message -Exception $_.Exception)) { throw }
        if ($AllowMissing) { return @{ Exists = $false; Value = $null; SmtpClientAuthenticationDisabled = $null; ImapEnabled = $null; PopEnabled = $null } }
        throw (New-UcxFailure -ErrorId 'UcxMailExchange.MailboxNotFound' -Message (
                "Mailbox '$Mailbox' was not found in Exchange Online; fix the 'mailboxes' config key (it must list existing " +
                'mailboxes by primary SMTP address) and run `pulumi up` again.'))
    }
    $casMailbox = Get-UcxExactlyOne -Cmdlet 'Get-CASMailbox' -Identity $Mailbox -Answer $answer
    $setting = @{ Exists = $true }
    foreach ($property in @('SmtpClientAuthenticationDisabled', 'ImapEnabled', 'PopEnabled')) {
        # Read by name so an object without the property (older output) reads as $null instead of failing strict mode.
        $member = $casMailbox.PSObject.Properties[$property]
        $setting[$property] = $(if ($null -ne $member) { $member.Value } else { $null })
    }
    $setting.Value = $setting.SmtpClientAuthenticationDisabled
    $setting
}

function Get-UcxTransportSmtpSetting {
    <#
    .SYNOPSIS
        Reads the organization-wide SmtpClientAuthenticationDisabled (Get-TransportConfig).
    #>
    [CmdletBinding()]
    param()
    $answer = Invoke-UcxExchangeStep -Step 'Get-TransportConfig' -Action { @(Get-TransportConfig -ErrorAction Stop) }
    (Get-UcxExactlyOne -Cmdlet 'Get-TransportConfig' -Identity 'organization' -Answer $answer).SmtpClientAuthenticationDisabled
}
