# Sourced by scripts/bench.sh and scripts/demo.sh: scripts/httpd.conf.in
# filled in, as tests/integration/lib/apache.mjs fills it for the tests.
#
# httpd_conf DIR LOAD MOD_SMO PORT LOGLEVEL DOCROOT DIRECTORY SITE
#   prints the configuration (the template's names, in that order; User
#   and Group www-data when run as root).
httpd_conf() {
  local tpl user=""
  # Without the header comment, which names the placeholders.
  tpl=$(sed '/^[^#]/,$!d' "$(dirname "${BASH_SOURCE[0]}")/httpd.conf.in") || return 1
  [ "$(id -u)" -eq 0 ] && user=$'User www-data\nGroup www-data'
  # Quoted replacements: bash 5.2 would read an & in them as the match.
  tpl=${tpl//@DIR@/"$1"}
  tpl=${tpl//@LOAD@/"$2"}
  tpl=${tpl//@MOD_SMO@/"$3"}
  tpl=${tpl//@PORT@/"$4"}
  tpl=${tpl//@USER@/"$user"}
  tpl=${tpl//@LOGLEVEL@/"$5"}
  tpl=${tpl//@DOCROOT@/"$6"}
  tpl=${tpl//@DIRECTORY@/"$7"}
  tpl=${tpl//@SITE@/"$8"}
  printf '%s\n' "$tpl"
}
