#!/bin/sh
# weather.sh - xmpp-cgi example ad-hoc command: asks for a city, answers its
# weather from the table below (no network).  Run it on a route with
# `command = yes` (see xmpp-cgi.conf.example); a client's command menu
# (Gajim, Conversations, Dino, profanity's /cmd) then shows it.
#
# Stage 1 (execute, no city): a form asking for the city.
# Stage 2 (complete): the weather as a note, or, for a city not in the table,
# the form again with the cities it knows.  POSIX sh; the form is written
# with the functions of xmpp-form.sh, installed beside it.

. "$(dirname "$0")/xmpp-form.sh"

weather_of() {
	case $(printf '%s' "$1" | tr '[:upper:]' '[:lower:]' | sed 's/^ *//; s/ *$//') in
	paris) echo "Paris: sunny, 21 °C, light wind from the west" ;;
	berlin) echo "Berlin: cloudy, 14 °C, showers later" ;;
	lisbon) echo "Lisbon: clear, 26 °C" ;;
	oslo) echo "Oslo: snow, -3 °C" ;;
	tokyo) echo "Tokyo: rain, 18 °C" ;;
	*) return 1 ;;
	esac
}

form_read
city=$(form_value city)

if [ "${XMPP_ADHOC_ACTION-}" = cancel ]; then
	form_done "No weather today."
elif [ -z "$city" ]; then
	form_begin "Weather" "Which city's weather would you like?"
	form_field text-single city "City"
	form_end
elif report=$(weather_of "$city"); then
	form_done "$report"
else
	form_begin "Weather" "There is no weather for $city here. Pick a city:"
	form_choice list-single city "City" paris:Paris berlin:Berlin lisbon:Lisbon \
		oslo:Oslo tokyo:Tokyo
	form_end
fi
