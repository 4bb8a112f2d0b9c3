# xmpp-form.sh - shell functions for ad-hoc command handlers (XEP-0050): read the
# submitted form, ask for fields, answer, without writing XML or decoding by hand.
#
# Source it from a POSIX sh handler of a route with `command = yes`:
#
#   . "$(dirname "$0")/xmpp-form.sh"
#   form_read                          # the submitted fields, from stdin
#   city=$(form_value city)            # a field's (first) value, decoded
#   form_values colors                 # every value of a field, one a line
#   form_begin "Title" "Instructions"  # headers and <x type='form'>, then:
#   form_field text-single city "City" [DEFAULT]
#   form_choice list-single unit "Unit" c:Celsius f:Fahrenheit
#   form_end                           # the command waits for the next stage
#   form_done "text"                   # the command completes with this note
#   form_fail "text"                   # the command is canceled with an error note
#
# form_begin's third argument lists the actions the person may take next
# (the Command-Actions header: prev, next, complete; the first is the default;
# default "complete").  Every text is escaped for XML here.  The stage's action
# is $XMPP_ADHOC_ACTION (execute, next, prev, complete, cancel) and its session
# $XMPP_ADHOC_SESSION; see xmpp-cgi(8), "Ad-hoc commands".

FORM_DATA=

# The urlencoded body the bridge sends (CONTENT_LENGTH bytes of stdin).
form_read() {
	case ${CONTENT_LENGTH-} in
	'' | 0 | *[!0-9]*) FORM_DATA= ;;
	*) FORM_DATA=$(dd ibs=1 count="$CONTENT_LENGTH" 2>/dev/null) ;;
	esac
}

# Every value of field $1, decoded (application/x-www-form-urlencoded), one a line.
form_values() {
	printf '%s\n' "$FORM_DATA" | LC_ALL=C awk -v want="$1" '
	function decode(s,   out, i, c, hex) {
		gsub(/\+/, " ", s)
		out = ""
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (c == "%" && i + 2 <= length(s)) {
				hex = toupper(substr(s, i + 1, 2))
				out = out sprintf("%c", 16 * (index("0123456789ABCDEF", substr(hex, 1, 1)) - 1) \
				                        + index("0123456789ABCDEF", substr(hex, 2, 1)) - 1)
				i += 2
			} else
				out = out c
		}
		return out
	}
	{
		n = split($0, pairs, "&")
		for (k = 1; k <= n; k++) {
			eq = index(pairs[k], "=")
			name = eq ? substr(pairs[k], 1, eq - 1) : pairs[k]
			value = eq ? substr(pairs[k], eq + 1) : ""
			if (decode(name) == want)
				print decode(value)
		}
	}'
}

# The first value of field $1.
form_value() {
	form_values "$1" | sed -n 1p
}

# Text for XML: & < > " ' escaped.
form_escape() {
	printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' \
		-e 's/"/\&quot;/g' -e "s/'/\\&apos;/g"
}

# form_begin [TITLE] [INSTRUCTIONS] [ACTIONS]
form_begin() {
	printf 'Content-Type: application/xml\nCommand-Actions: %s\n\n' "${3:-complete}"
	printf "<x xmlns='jabber:x:data' type='form'>"
	[ -n "${1-}" ] && printf '<title>%s</title>' "$(form_escape "$1")"
	[ -n "${2-}" ] && printf '<instructions>%s</instructions>' "$(form_escape "$2")"
	return 0
}

# form_field TYPE VAR LABEL [VALUE]: text-single, text-private, text-multi,
# boolean, jid-single, hidden or fixed (a fixed field shows VALUE only).
form_field() {
	printf "<field type='%s' var='%s' label='%s'>" "$(form_escape "$1")" \
		"$(form_escape "$2")" "$(form_escape "$3")"
	[ $# -ge 4 ] && printf '<value>%s</value>' "$(form_escape "$4")"
	printf '</field>'
}

# form_choice TYPE VAR LABEL VALUE:LABEL...: list-single or list-multi.
form_choice() {
	printf "<field type='%s' var='%s' label='%s'>" "$(form_escape "$1")" \
		"$(form_escape "$2")" "$(form_escape "$3")"
	shift 3
	for option in "$@"; do
		printf "<option label='%s'><value>%s</value></option>" \
			"$(form_escape "${option#*:}")" "$(form_escape "${option%%:*}")"
	done
	printf '</field>'
}

form_end() {
	printf '</x>\n'
}

# form_done TEXT: the command completes, TEXT shown as a note.
form_done() {
	printf 'Content-Type: text/plain; charset=utf-8\n\n%s\n' "$1"
}

# form_fail TEXT: the command is canceled, TEXT shown as an error note.
form_fail() {
	printf 'Status: 422 Unprocessable Content\nContent-Type: text/plain; charset=utf-8\n\n%s\n' "$1"
}
