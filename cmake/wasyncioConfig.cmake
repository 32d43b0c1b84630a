# wasyncio's CMake package: wa_add_module(<target> <your .c files>...) builds
# a module (<target>.mjs + <target>.wasm) of the runtime plus your
# coroutines, from any project:
#
#   find_package(wasyncio REQUIRED CONFIG NO_CMAKE_FIND_ROOT_PATH
#                PATHS ${CMAKE_SOURCE_DIR}/node_modules/wasyncio/cmake)
#   wa_add_module(my_module my_coros.c)
#
# (NO_CMAKE_FIND_ROOT_PATH: Emscripten's toolchain file confines package
# searches to its sysroot. Or include() this file, or add_subdirectory()
# the package.) Configure with emcmake. What a module is made of
# (sources, exports, flags) is src/module.json, which bin/wasyncio-cc.mjs
# reads too. Every path here is absolute, so it works from outside.
if(COMMAND wa_add_module)
  return()
endif()
if(NOT EMSCRIPTEN)
  message(FATAL_ERROR "wasyncio: configure with emcmake (Emscripten): emcmake cmake -S . -B build")
endif()
cmake_minimum_required(VERSION 3.21) # string(JSON), C_LINKER_LAUNCHER
get_filename_component(WASYNCIO_SOURCE_DIR "${CMAKE_CURRENT_LIST_DIR}/../src" ABSOLUTE)
file(READ "${WASYNCIO_SOURCE_DIR}/module.json" _wa_manifest)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${WASYNCIO_SOURCE_DIR}/module.json")

# The manifest's list `key`, each item prefixed with `prefix`.
function(_wa_manifest_list out key prefix)
  string(JSON n LENGTH "${_wa_manifest}" ${key})
  set(items)
  if(n GREATER 0)
    math(EXPR last "${n} - 1")
    foreach(i RANGE ${last})
      string(JSON item GET "${_wa_manifest}" ${key} ${i})
      list(APPEND items "${prefix}${item}")
    endforeach()
  endif()
  set(${out} "${items}" PARENT_SCOPE)
endfunction()

_wa_manifest_list(WASYNCIO_RUNTIME_SOURCES runtime "${WASYNCIO_SOURCE_DIR}/")
_wa_manifest_list(WASYNCIO_PRODUCT_SOURCES product "${WASYNCIO_SOURCE_DIR}/")
_wa_manifest_list(WASYNCIO_INCLUDE_DIRS include "${WASYNCIO_SOURCE_DIR}/")
_wa_manifest_list(_wa_compile compile "")
_wa_manifest_list(_wa_link link "")
_wa_manifest_list(_wa_exports exports "")
_wa_manifest_list(_wa_methods runtimeMethods "")
string(JSON _wa_js_library GET "${_wa_manifest}" jsLibrary)
string(JSON _wa_post_js GET "${_wa_manifest}" postJs)
_wa_manifest_list(WASYNCIO_ASYNCIFY_ADD asyncifyAdd "")
list(JOIN _wa_exports "," _wa_exports)
list(JOIN _wa_methods "," _wa_methods)

# One module = the runtime + the coroutines given. The link flags: Asyncify
# for the fibers; STACK_OVERFLOW_CHECK=2 so a task's stack overflow is
# caught (js/host.js); web-only ES6 glue, because 3.1.6's Node glue breaks
# under ESM and Node 20's fetch (the JS layer hands Node the wasm bytes);
# no ASSERTIONS, which -O0 turns on and which make that glue refuse Node.
function(wa_add_module target)
  add_executable(${target} ${WASYNCIO_RUNTIME_SOURCES} ${ARGN})
  target_include_directories(${target} PRIVATE ${WASYNCIO_INCLUDE_DIRS})
  target_compile_options(${target} PRIVATE ${_wa_compile})
  set_target_properties(${target} PROPERTIES SUFFIX ".mjs")
  if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
    # No build type would be -O0: several times slower tasks.
    target_compile_options(${target} PRIVATE -O2)
    target_link_options(${target} PRIVATE -O2)
  endif()
  # Asyncify instruments the runtime's functions that call a suspending
  # function through a pointer, and the target's own: list yours with
  #   set_property(TARGET <target> APPEND PROPERTY WASYNCIO_ASYNCIFY_ADD f g)
  # (bin/wasyncio-asyncify-check.mjs finds the ones a module misses).
  set(add "${WASYNCIO_ASYNCIFY_ADD};$<TARGET_PROPERTY:${target},WASYNCIO_ASYNCIFY_ADD>")
  target_link_options(${target} PRIVATE ${_wa_link}
    "-sASYNCIFY_ADD=$<JOIN:$<FILTER:${add},EXCLUDE,^$>,$<COMMA>>"
    -sEXPORTED_FUNCTIONS=${_wa_exports}
    -sEXPORTED_RUNTIME_METHODS=${_wa_methods}
    "SHELL:--js-library ${WASYNCIO_SOURCE_DIR}/${_wa_js_library}"
    "SHELL:--post-js ${WASYNCIO_SOURCE_DIR}/${_wa_post_js}")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS
    "${WASYNCIO_SOURCE_DIR}/${_wa_js_library}" "${WASYNCIO_SOURCE_DIR}/${_wa_post_js}")
  # Debian's emcc runs its JS optimiser with a Node that cannot find
  # Debian's acorn unless NODE_PATH says where it lives.
  if(EXISTS /usr/share/nodejs/acorn)
    set_property(TARGET ${target} PROPERTY C_LINKER_LAUNCHER
      ${CMAKE_COMMAND} -E env NODE_PATH=/usr/share/nodejs)
  endif()
endfunction()
