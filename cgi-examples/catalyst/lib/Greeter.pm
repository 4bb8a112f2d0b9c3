package Greeter;
# A minimal Catalyst application, served over XMPP by xmpp-cgi: as a CGI script
# (script/greeter_cgi.pl) and as a FastCGI application (script/greeter_fastcgi.pl),
# exactly as it would be behind a web server. See cgi-examples/catalyst/README.
use strict;
use warnings;
use Catalyst;

__PACKAGE__->config(name => 'Greeter');
__PACKAGE__->setup;

1;
