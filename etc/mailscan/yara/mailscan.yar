// Example rules for ms-scan-yara.  A rule's metadata may set the action
// (reject, quarantine, clean, tag; the most severe of the matching rules
// wins over MS_ACTION) and a description, which is said in the verdict and
// in the text that replaces a removed part.

rule mailscan_eicar
{
	meta:
		description = "the EICAR anti-virus test file"
	strings:
		$eicar = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!"
	condition:
		$eicar
}

// "Every predetermined string present": a part matches only when it holds
// all of the strings; any one alone is not enough.
rule mailscan_all_markers
{
	meta:
		description = "all three mailscan test markers"
		action = "reject"
	strings:
		$m1 = "mailscan-marker-alpha"
		$m2 = "mailscan-marker-bravo"
		$m3 = "mailscan-marker-charlie"
	condition:
		all of them
}
