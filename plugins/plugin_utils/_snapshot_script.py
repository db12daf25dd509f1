# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fixed, read-only PowerShell snapshot script run by ansible.windows.win_powershell.

It is the only PowerShell the collection ships. Inputs arrive as win_powershell `parameters`
(Keys, Services, Folders, Events, Known; see SnapshotRequest.parameters()); the output shape is the
contract in docs/design.md, "The snapshot". The script only reads: registry keys are opened
read-only through .NET, services, folders and event logs are only queried.

It targets Windows PowerShell 5.1 (no PowerShell 7 operators) and degrades instead of failing: an item
it cannot read (a denied key, folder or event log, a file CertSvc holds open) becomes an `error` field on
that item, never a failed task. In Constrained Language Mode (WDAC or AppLocker) it cannot call .NET at
all, so it returns only `language_mode` and the action reports that as one error.
"""

from __future__ import annotations

SNAPSHOT_MARKER = "# sfb.pki snapshot v1"

SNAPSHOT_SCRIPT = r"""# sfb.pki snapshot v1
# Read-only: returns registry keys, services, folder files and event counts as $Ansible.Result.
[CmdletBinding(SupportsShouldProcess)]
param (
    [object[]]$Keys = @(),
    [object[]]$Services = @(),
    [object[]]$Folders = @(),
    [object[]]$Events = @(),
    [string]$Known = ''
)

$ErrorActionPreference = 'Stop'

# Constrained Language Mode (WDAC / AppLocker script enforcement) blocks the .NET registry and file calls
# below. Return a marker the action turns into one clear error rather than failing on the first call.
$languageMode = [string]$ExecutionContext.SessionState.LanguageMode
if ($languageMode -ne 'FullLanguage') {
    $Ansible.Result = @{ 'computer_name' = $env:COMPUTERNAME; 'language_mode' = $languageMode }
    $Ansible.Changed = $false
    return
}

function Get-ErrorText {
    param ([System.Management.Automation.ErrorRecord]$Record)
    # A .NET call fails as MethodInvocationException('Exception calling "X" ...'); keep the Windows message.
    $exception = $Record.Exception
    $wrapped = $exception -is [System.Management.Automation.MethodInvocationException]
    if ($wrapped -and $null -ne $exception.InnerException) {
        $exception = $exception.InnerException
    }
    return [string]$exception.Message
}

function Get-Field {
    param ([object]$Item, [string]$Name)
    if ($null -eq $Item) { return $null }
    if ($Item -is [System.Collections.IDictionary]) { return $Item[$Name] }
    return $Item.$Name
}

# Sending less: each certificate once per host (the `certificates` table), and only the SHA-256 of what the
# controller holds itself (`Known`: base64 of concatenated 32-byte digests). Without a SHA-256 provider
# (it cannot be created) every value is sent whole, as it was read.
$sha256 = $null
try {
    $sha256 = New-Object -TypeName System.Security.Cryptography.SHA256CryptoServiceProvider
}
catch {
    $sha256 = $null
}
$knownDigests = New-Object -TypeName 'System.Collections.Generic.HashSet[string]'
if ($Known) {
    $packed = [Convert]::FromBase64String($Known)
    if ($packed.Length % 32 -ne 0) {
        throw "Known holds $($packed.Length) bytes, not a whole number of 32-byte SHA-256 digests"
    }
    for ($at = 0; $at -lt $packed.Length; $at += 32) {
        $null = $knownDigests.Add([BitConverter]::ToString($packed, $at, 32).Replace('-', ''))
    }
}
$certificateTable = New-Object -TypeName System.Collections.Generic.List[object]
$certificateIndex = @{}

function Get-Digest {
    param ([byte[]]$Data, [int]$Offset, [int]$Count)
    return [BitConverter]::ToString($sha256.ComputeHash($Data, $Offset, $Count)).Replace('-', '')
}

function Split-CertificateBlob {
    param ([byte[]]$Data)
    # Walk the property elements (12-byte header: prop id, reserved, length; little-endian) to the end.
    # The DER is the data of the first property 32 element with at least one byte; $null (send the Blob
    # whole) when an element runs past the end or there is none.
    $offset = [int64]0
    $total = [int64]$Data.Length
    $found = $null
    while ($offset -lt $total) {
        if ($offset + 12 -gt $total) { return $null }
        $propId = [BitConverter]::ToUInt32($Data, [int]$offset)
        $size = [int64][BitConverter]::ToUInt32($Data, [int]($offset + 8))
        if ($offset + 12 + $size -gt $total) { return $null }
        if ($propId -eq 32 -and $null -eq $found -and $size -gt 0) {
            $found = @{ 'start' = [int]($offset + 12); 'length' = [int]$size }
        }
        $offset = $offset + 12 + $size
    }
    return $found
}

function ConvertTo-BinaryEntry {
    param ([byte[]]$Data, [bool]$Certificate)
    $entry = @{}
    $split = $null
    if ($Certificate -and $null -ne $sha256) { $split = Split-CertificateBlob -Data $Data }
    if ($null -ne $split) {
        $start = $split['start']
        $end = $start + $split['length']
        $digest = Get-Digest -Data $Data -Offset $start -Count $split['length']
        if (-not $certificateIndex.ContainsKey($digest)) {
            $certificateIndex[$digest] = $certificateTable.Count
            $sent = @{}
            if ($knownDigests.Contains($digest)) { $sent['sha256'] = $digest }
            else { $sent['der'] = [Convert]::ToBase64String($Data, $start, $split['length']) }
            $certificateTable.Add($sent)
        }
        $entry['type'] = 'certblob'
        $entry['head'] = [Convert]::ToBase64String($Data, 0, $start)
        $entry['cert'] = $certificateIndex[$digest]
        $entry['tail'] = [Convert]::ToBase64String($Data, $end, $Data.Length - $end)
        return $entry
    }
    if ($knownDigests.Count -gt 0 -and $null -ne $sha256) {
        $digest = Get-Digest -Data $Data -Offset 0 -Count $Data.Length
        if ($knownDigests.Contains($digest)) {
            $entry['type'] = 'digest'
            $entry['sha256'] = $digest
            return $entry
        }
    }
    $entry['type'] = 'binary'
    $entry['value'] = [Convert]::ToBase64String($Data)
    return $entry
}

function ConvertTo-SnapshotValue {
    param ([Microsoft.Win32.RegistryKey]$Key, [string]$Name, [bool]$Certificate)
    $kind = $Key.GetValueKind($Name)
    $data = $Key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
    $entry = @{}
    if ($kind -eq [Microsoft.Win32.RegistryValueKind]::Binary) {
        # Only a value named Blob under a key marked `certificates` is a certificate to split.
        $entry = ConvertTo-BinaryEntry -Data ([byte[]]$data) -Certificate ($Certificate -and $Name -eq 'Blob')
    }
    elseif ($kind -eq [Microsoft.Win32.RegistryValueKind]::DWord) {
        $entry['type'] = 'dword'
        $entry['value'] = [BitConverter]::ToUInt32([BitConverter]::GetBytes([int32]$data), 0)
    }
    elseif ($kind -eq [Microsoft.Win32.RegistryValueKind]::QWord) {
        $entry['type'] = 'qword'
        $entry['value'] = [BitConverter]::ToUInt64([BitConverter]::GetBytes([int64]$data), 0)
    }
    elseif ($kind -eq [Microsoft.Win32.RegistryValueKind]::String) {
        $entry['type'] = 'string'
        $entry['value'] = [string]$data
    }
    elseif ($kind -eq [Microsoft.Win32.RegistryValueKind]::ExpandString) {
        $entry['type'] = 'expandstring'
        $entry['value'] = [string]$data
    }
    elseif ($kind -eq [Microsoft.Win32.RegistryValueKind]::MultiString) {
        $entry['type'] = 'multistring'
        $list = New-Object -TypeName System.Collections.Generic.List[string]
        foreach ($line in [string[]]$data) { $list.Add($line) }
        $entry['value'] = $list
    }
    else {
        $entry['type'] = 'none'
        if ($data -is [byte[]]) { $entry['value'] = [Convert]::ToBase64String($data) }
        else { $entry['value'] = $null }
    }
    return $entry
}

function Read-RegistryKey {
    param (
        [Microsoft.Win32.RegistryKey]$Parent, [string]$SubPath, [int]$Depth,
        [bool]$CertificateChildren, [bool]$CertificateValues
    )
    $entry = @{}
    $entry['exists'] = $false
    $entry['values'] = @{}
    $entry['subkeys'] = New-Object -TypeName System.Collections.Generic.List[object]
    $key = $null
    try {
        $key = $Parent.OpenSubKey($SubPath, $false)
    }
    catch {
        # The key exists (its parent lists it) but cannot be opened, e.g. access denied.
        $entry['exists'] = $true
        $entry['error'] = Get-ErrorText -Record $_
        return $entry
    }
    if ($null -eq $key) { return $entry }
    try {
        $entry['exists'] = $true
        foreach ($name in $key.GetValueNames()) {
            try {
                $entry['values'][$name] = ConvertTo-SnapshotValue -Key $key -Name $name `
                    -Certificate $CertificateValues
            }
            catch {
                $entry['values'][$name] = @{ 'type' = 'error'; 'value' = (Get-ErrorText -Record $_) }
            }
        }
        if ($Depth -gt 0) {
            foreach ($childName in $key.GetSubKeyNames()) {
                $child = Read-RegistryKey -Parent $key -SubPath $childName -Depth ($Depth - 1) `
                    -CertificateChildren $false -CertificateValues $CertificateChildren
                $child['name'] = $childName
                $entry['subkeys'].Add($child)
            }
        }
    }
    catch {
        $entry['error'] = Get-ErrorText -Record $_
    }
    finally {
        $key.Close()
    }
    return $entry
}

$hklm = [Microsoft.Win32.RegistryKey]::OpenBaseKey(
    [Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)

$keyResults = New-Object -TypeName System.Collections.Generic.List[object]
foreach ($request in $Keys) {
    $path = [string](Get-Field -Item $request -Name 'path')
    $depth = [int](Get-Field -Item $request -Name 'depth')
    # `certificates`: the key's subkeys are certificates (<thumbprint>\Blob), sent once per host.
    $certificates = [bool](Get-Field -Item $request -Name 'certificates')
    try {
        $entry = Read-RegistryKey -Parent $hklm -SubPath $path -Depth $depth `
            -CertificateChildren $certificates -CertificateValues $false
    }
    catch {
        $entry = @{ 'exists' = $true; 'values' = @{}; 'subkeys' = @(); 'error' = (Get-ErrorText -Record $_) }
    }
    $entry['path'] = $path
    $keyResults.Add($entry)
}

$serviceResults = New-Object -TypeName System.Collections.Generic.List[object]
foreach ($serviceName in $Services) {
    $name = [string]$serviceName
    $entry = @{}
    $entry['name'] = $name
    $entry['exists'] = $false
    $entry['state'] = $null
    try {
        $pattern = [System.Management.Automation.WildcardPattern]::Escape($name)
        $service = @(Get-Service -Name $pattern -ErrorAction Stop)
        if ($service.Length -gt 0) {
            $entry['exists'] = $true
            $entry['state'] = ([string]$service[0].Status).ToLowerInvariant()
        }
    }
    catch {
        if ($_.FullyQualifiedErrorId -notlike 'NoServiceFoundForGivenName*') {
            $entry['exists'] = $null
            $entry['error'] = Get-ErrorText -Record $_
        }
    }
    $serviceResults.Add($entry)
}

$folderResults = New-Object -TypeName System.Collections.Generic.List[object]
foreach ($request in $Folders) {
    $path = [string](Get-Field -Item $request -Name 'path')
    # `filter` is one wildcard or a list of them (CertEnroll: *.crl and *.crt only).
    $filters = @(Get-Field -Item $request -Name 'filter' | Where-Object { $_ } |
        ForEach-Object { [string]$_ })
    if ($filters.Length -eq 0) { $filters = @('*') }
    $expanded = [System.Environment]::ExpandEnvironmentVariables($path)
    $entry = @{}
    $entry['path'] = $path
    $entry['expanded_path'] = $expanded
    $entry['files'] = New-Object -TypeName System.Collections.Generic.List[object]
    $entry['exists'] = $false
    try {
        $entry['exists'] = [bool](Test-Path -LiteralPath $expanded -PathType Container)
        if ($entry['exists']) {
            $seen = @{}
            foreach ($filter in $filters) {
                foreach ($file in @(Get-ChildItem -LiteralPath $expanded -File -Filter $filter)) {
                    if ($seen.ContainsKey($file.Name)) { continue }
                    $seen[$file.Name] = $true
                    $item = @{}
                    $item['name'] = $file.Name
                    $item['size'] = [int64]$file.Length
                    $item['modified'] = $file.LastWriteTimeUtc.ToString(
                        "yyyy-MM-dd'T'HH:mm:ss'Z'", [System.Globalization.CultureInfo]::InvariantCulture)
                    try {
                        $bytes = [System.IO.File]::ReadAllBytes($file.FullName)
                        $item['content'] = [Convert]::ToBase64String($bytes)
                    }
                    catch {
                        # Denied, or held open by another process (CertSvc writing a CRL).
                        $item['content'] = $null
                        $item['error'] = Get-ErrorText -Record $_
                    }
                    $entry['files'].Add($item)
                }
            }
        }
    }
    catch {
        $entry['error'] = Get-ErrorText -Record $_
    }
    $folderResults.Add($entry)
}

$eventResults = New-Object -TypeName System.Collections.Generic.List[object]
foreach ($request in $Events) {
    $log = [string](Get-Field -Item $request -Name 'log')
    $provider = Get-Field -Item $request -Name 'provider'
    $days = [int](Get-Field -Item $request -Name 'days')
    $ids = @(Get-Field -Item $request -Name 'ids' | ForEach-Object { [int]$_ })
    $entry = @{}
    $entry['log'] = $log
    $entry['provider'] = $provider
    $match = [string](Get-Field -Item $request -Name 'match')
    if ($match) { $entry['match'] = $match }
    $entry['counts'] = @{}
    foreach ($id in $ids) { $entry['counts'][[string]$id] = 0 }
    $entry['exists'] = $false
    try {
        $null = Get-WinEvent -ListLog $log -ErrorAction Stop
        $entry['exists'] = $true
    }
    catch {
        # "There is not an event log ... that matches" is a missing log; anything else (access denied)
        # leaves existence unknown and is reported, never read as "no events".
        if ($_.FullyQualifiedErrorId -notlike 'NoMatchingLogsFound*') {
            $entry['exists'] = $null
            $entry['error'] = Get-ErrorText -Record $_
        }
    }
    if ($entry['exists'] -and $ids.Count -gt 0) {
        $since = (Get-Date).AddDays(-$days)
        $needle = $match.ToLowerInvariant()
        # FilterHashtable turns ids into one XPath query; keep each query short.
        for ($start = 0; $start -lt $ids.Count; $start += 20) {
            $end = [Math]::Min($start + 20, $ids.Count) - 1
            $filterTable = @{ LogName = $log; StartTime = $since; Id = [int[]]$ids[$start..$end] }
            if ($provider) { $filterTable['ProviderName'] = [string]$provider }
            try {
                foreach ($record in @(Get-WinEvent -FilterHashtable $filterTable -ErrorAction Stop)) {
                    # Render .Message (a message-file lookup per event) only when a match text is asked.
                    if ($match) {
                        $text = ([string]$record.Message).ToLowerInvariant()
                        if (-not $text.Contains($needle)) { continue }
                    }
                    $entry['counts'][[string]$record.Id] = $entry['counts'][[string]$record.Id] + 1
                }
            }
            catch {
                if ($_.FullyQualifiedErrorId -notlike 'NoMatchingEventsFound*') {
                    $entry['error'] = Get-ErrorText -Record $_
                }
            }
        }
    }
    $eventResults.Add($entry)
}

$snapshot = @{}
$snapshot['computer_name'] = $env:COMPUTERNAME
$snapshot['language_mode'] = $languageMode
$snapshot['keys'] = $keyResults
$snapshot['services'] = $serviceResults
$snapshot['folders'] = $folderResults
$snapshot['events'] = $eventResults
if ($certificateTable.Count -gt 0) { $snapshot['certificates'] = $certificateTable }
$Ansible.Result = $snapshot
$Ansible.Changed = $false
"""
