#!/usr/bin/env bats
# lib/ole.c through t/doctool: VBA storages of OLE2 compound files renamed
# in the directory.  The documents come from t/data/active/mkole, which
# also checks the results with Debian's python3-olefile.

bats_require_minimum_version 1.5.0
load helper

MKOLE=$MS_TOP/t/data/active/mkole

setup() {
	T=$BATS_TEST_TMPDIR
}

mk() { "$MKOLE" "$1" "$T/$1"; }

# strip KIND: mkole KIND, doctool ole on it into $T/KIND.out; expects 1.
strip() {
	mk "$1"
	run -1 sh -c 'doctool ole <"$1" >"$1.out"' sh "$T/$1"
	[ -s "$T/$1.out" ]
}

@test "xls with _VBA_PROJECT_CUR: renamed, Workbook intact, only the directory changed" {
	strip xls-vba
	assert_output --partial "VBA storage _VBA_PROJECT_CUR renamed"
	run "$MKOLE" check "$T/xls-vba" "$T/xls-vba.out"
	assert_success
	[ "$(stat -c %s "$T/xls-vba")" -eq "$(stat -c %s "$T/xls-vba.out")" ]
	# The streams themselves are byte for byte the same.
	run /usr/bin/python3 -c '
import olefile, sys
a, b = olefile.OleFileIO(sys.argv[1]), olefile.OleFileIO(sys.argv[2])
assert a.openstream("Workbook").read() == b.openstream("Workbook").read()
assert not b.exists("_VBA_PROJECT_CUR") and b.exists("_VBA_PROJECT_CUX")
print(len(b.openstream("Workbook").read()))' "$T/xls-vba" "$T/xls-vba.out"
	assert_success
	assert_output 9000
}

@test "doc with Macros/VBA: renamed, WordDocument and 1Table intact" {
	strip doc-vba
	assert_output --partial "VBA storage Macros renamed"
	run "$MKOLE" check "$T/doc-vba" "$T/doc-vba.out"
	assert_success
	run /usr/bin/python3 -c '
import olefile, sys
a, b = olefile.OleFileIO(sys.argv[1]), olefile.OleFileIO(sys.argv[2])
for s in ("WordDocument", "1Table"):
    assert a.openstream(s).read() == b.openstream(s).read(), s
for p in b.listdir(storages=True):
    assert not any(c.upper() in ("MACROS", "VBA", "_VBA_PROJECT_CUR") for c in p), p
print("fine")' "$T/doc-vba" "$T/doc-vba.out"
	assert_output fine
}

@test "cmp: the stripped file differs only inside the directory sectors" {
	strip doc-vba
	# mkole puts the FAT in sector 0 and the directory from sector 1 on:
	# file offsets 1024 .. 1024 + 4 * 512.
	run cmp -l "$T/doc-vba" "$T/doc-vba.out"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -ge 1 ]
	for l in "${lines[@]}"; do
		set -- $l
		[ "$1" -gt 1024 ] && [ "$1" -le 3072 ]
	done
}

@test "clean twins are left alone" {
	for k in xls-clean doc-clean notvba; do
		mk $k
		run -0 doctool ole <"$T/$k"
		assert_output ""
	done
}

@test "a second pass over a stripped file finds nothing" {
	for k in xls-vba doc-vba doc-lower stream; do
		strip $k
		run -0 doctool ole <"$T/$k.out"
	done
}

@test "-k keeps the whole original, named by the storage" {
	mk xls-vba
	mkdir "$T/keep"
	run -1 doctool -k "$T/keep" ole <"$T/xls-vba"
	cmp "$T/keep/1" "$T/xls-vba"
	[ "$(cat "$T/keep/1.name")" = _VBA_PROJECT_CUR ]
	[ ! -e "$T/keep/2" ]
}

@test "any case, and a lone _VBA_PROJECT stream" {
	strip doc-lower
	assert_output --partial "VBA storage macros renamed"
	run "$MKOLE" check "$T/doc-lower" "$T/doc-lower.out"
	assert_success
	strip stream
	assert_output --partial "VBA stream _VBA_PROJECT renamed"
	run "$MKOLE" check "$T/stream" "$T/stream.out"
	assert_success
}

@test "the new name fits between close siblings; no name fits: 2" {
	strip close
	run "$MKOLE" check "$T/close" "$T/close.out"
	assert_success
	run /usr/bin/python3 -c '
import olefile, sys
print(sorted(p[0] for p in olefile.OleFileIO(sys.argv[1]).listdir(storages=True) if len(p) == 1 and p[0].startswith("Macro")))' "$T/close.out"
	assert_output "['MacroR', 'MacroT', 'MacroU']"
	mk tight
	run -2 doctool ole <"$T/tight"
	assert_output --partial "Macros cannot be renamed"
}

@test "version 4 (4096-byte sectors): renamed and checked the same way" {
	for k in xls-vba-v4 doc-vba-v4; do
		strip $k
		assert_output --partial "renamed"
		run "$MKOLE" check "$T/$k" "$T/$k.out"
		assert_success
	done
	mk xls-clean-v4
	run -0 doctool ole <"$T/xls-clean-v4"
}

@test "a 4096-sector file: renamed, the 2 MB Workbook read back the same" {
	strip big
	run "$MKOLE" check "$T/big" "$T/big.out"
	assert_success
	run /usr/bin/python3 -c '
import olefile, sys
a, b = olefile.OleFileIO(sys.argv[1]), olefile.OleFileIO(sys.argv[2])
w = b.openstream("Workbook").read()
assert w == a.openstream("Workbook").read()
print(len(w))' "$T/big" "$T/big.out"
	assert_output $((4096 * 512))
}

@test "PowerPoint: a VBAInfo record with macros, or a VBA storage, is 2" {
	for k in ppt-vba ppt-vba-mini ppt-vba-edge ppt-vba-v4; do
		mk $k
		run -2 doctool ole <"$T/$k"
		assert_output --partial "PowerPoint document with a VBA project"
	done
	mk ppt-storage
	run -2 doctool ole <"$T/ppt-storage"
	assert_output --partial "PowerPoint document with a VBA entry _VBA_PROJECT_CUR"
	# fHasMacros 0, and no VBAInfo record at all: nothing found.
	for k in ppt-nomacros ppt-clean; do
		mk $k
		run -0 doctool ole <"$T/$k"
		assert_output ""
	done
	# olefile sees what the tests think they wrote.
	run /usr/bin/python3 -c '
import olefile, sys
o = olefile.OleFileIO(sys.argv[1])
d = o.openstream("PowerPoint Document").read()
print(len(d), d.find(bytes.fromhex("1f00ff0314000000020000040c000000")))' "$T/ppt-vba-mini"
	assert_output "3000 1500"
}

@test "hostile compound files: 3 or 4, fast, with a reason" {
	local k want
	for k in truncated-header:3 truncated-dir:3 fatloop:3 dircycle:3 selfchild:3 \
	    sectorrange:3 fatrange:3 entryrange:3 hugeshift:3 difatloop:3 \
	    bigfatloop:3 bigdir:4 pptmany:4 v3shift12:3 truncated-dir-v4:3 fatloop-v4:3 \
	    dircycle-v4:3 sectorrange-v4:3; do
		want=${k#*:}
		k=${k%:*}
		mk $k
		run -"$want" timeout 5 doctool ole <"$T/$k"
		assert_output --partial "compound file:"
	done
}

@test "a file cut inside its last sector: the directory is whole, renamed" {
	for k in truncated-mid truncated-mid-v4; do
		strip $k
		run "$MKOLE" check "$T/$k" "$T/$k.out"
		assert_success
	done
}

@test "not a compound file: 0" {
	printf 'PK\3\4 not ole at all' >"$T/zip"
	run -0 doctool ole <"$T/zip"
	: >"$T/empty"
	run -0 doctool ole <"$T/empty"
	printf '\320\317\021\340\241\261\032\341short' >"$T/short"
	run -3 doctool ole <"$T/short"
}
