# SPDX-License-Identifier: MIT
# The differences between an old trace answer $o[0] and the new one $n[0]
# (jq -n --slurpfile o OLD --slurpfile n NEW), one line each; none when the
# new answer traces the same: every old key keeps its value (new keys are
# allowed), events match by id and keep their order, and state, diagnosis
# and the stored payload are byte-identical (as jq -c prints them).
def show: tojson | if length > 100 then .[0:100] + "..." else . end;
def diffs($a; $b; $p):
	if ($a | type) == "object" and ($b | type) == "object" then
		$a | keys_unsorted[] as $k |
		if ($b | has($k)) then diffs($a[$k]; $b[$k]; "\($p).\($k)")
		else "\($p).\($k): missing" end
	elif ($a | type) == "array" and ($b | type) == "array" and
	    ($a | length) == ($b | length) then
		range($a | length) as $i | diffs($a[$i]; $b[$i]; "\($p)[\($i)]")
	elif $a == $b then empty
	else "\($p): was \($a | show), now \($b | show)" end;
def same($k):
	if (.[0] | has($k)) and (.[0][$k] | tojson) != (.[1][$k] | tojson)
	then [diffs(.[0][$k]; .[1][$k]; ".\($k)")] as $d |
		if ($d | length) > 0 then $d[]
		else ".\($k): not byte-identical (new keys or key order): " +
		    "now \(.[1][$k] | show)" end
	else empty end;
def events:
	(.[0].events // []) as $oe | (.[1].events // []) as $ne |
	($oe | map(.id)) as $ids |
	($oe[] | . as $e | [$ne[] | select(.id == $e.id)] as $m |
	    if ($m | length) == 1 then diffs($e; $m[0]; ".events[id=\($e.id)]")
	    else ".events[id=\($e.id)]: \($m | length) events" end),
	($ne[] | select(.id as $i | $ids | index($i) | not) |
	    ".events[id=\(.id)]: new event"),
	if $ids != ($ne | map(.id | select(. as $i | $ids | index($i))))
	then ".events: order changed" else empty end;
[$o[0], $n[0]] |
if (.[0] | type) != "object" or (.[1] | type) != "object" then
	if .[0] != .[1] then "body: was \(.[0] | show), now \(.[1] | show)"
	else empty end
else
	diffs(.[0] | del(.events, .state, .diagnosis, .payload); .[1]; ""),
	events, same("state"), same("diagnosis"), same("payload")
end
