# install.cmake — run by `cmake --install` (install(SCRIPT) in deploy/CMakeLists.txt): the files
# whose text names installed paths (the units, the example configuration) are made for the
# prefix given when installing (`--prefix /usr`), not the one of the configure step, so that one
# build installs rightly under /usr or /usr/local. The configuration goes to
# CMAKE_INSTALL_SYSCONFDIR/weldreg when that was set to an absolute path at configure time;
# otherwise, with /usr, to /etc/weldreg (as GNUInstallDirs does), under any other prefix to
# PREFIX/etc/weldreg. DESTDIR is honoured by file(INSTALL).
set(prefix "${CMAKE_INSTALL_PREFIX}")
if(IS_ABSOLUTE "${WELDREG_SYSCONFDIR}")
  set(WELDREG_CONFDIR ${WELDREG_SYSCONFDIR}/weldreg)
elseif(prefix STREQUAL "/usr")
  set(WELDREG_CONFDIR /etc/weldreg)
else()
  set(WELDREG_CONFDIR ${prefix}/${WELDREG_SYSCONFDIR}/weldreg)
endif()
set(WELDREG_BINDIR ${prefix}/bin)
set(WELDREG_DOCDIR ${prefix}/share/doc/weldreg)
set(WELDREG_SCHEMADIR ${prefix}/share/weldreg/schema)

set(made ${WELDREG_DEPLOY_BINARY_DIR}/installed)
foreach(unit weldreg-server weldreg-web weldreg-notices weldreg-maintain)
  configure_file(${WELDREG_DEPLOY_SOURCE_DIR}/systemd/${unit}.service.in ${made}/${unit}.service
                 @ONLY)
  file(INSTALL ${made}/${unit}.service DESTINATION ${prefix}/lib/systemd/system)
endforeach()
configure_file(${WELDREG_DEPLOY_SOURCE_DIR}/weldreg.conf.example ${made}/weldreg.conf.example
               @ONLY)
# an example, never the live file: an upgrade must not overwrite the operator's settings
file(INSTALL ${made}/weldreg.conf.example DESTINATION ${WELDREG_CONFDIR})
file(INSTALL ${WELDREG_DEPLOY_SOURCE_DIR}/systemd/weldreg-maintain.timer
     DESTINATION ${prefix}/lib/systemd/system)
file(INSTALL ${WELDREG_DEPLOY_SOURCE_DIR}/systemd/weldreg.sysusers.conf
     DESTINATION ${prefix}/lib/sysusers.d RENAME weldreg.conf)
