# Layers the linker enforces (docs/architecture.md, "Layers"). Each module's objects — taken
# from kavach_objects, nothing is compiled twice — are linked into a small shared library against
# only the modules it may use, with --no-undefined: a call from a module into one it may not use
# is an undefined symbol, and the build fails. scripts/check-layers checks the includes (which
# the linker cannot see when only inline code or types cross); this checks the symbols.
option(KAVACH_LAYER_CHECK "Link each module against only the modules it may use" ON)

# kavach_layer_of(OBJECTS NAME OBJECT_REGEX [ALLOWED_LAYER...]): the objects of target OBJECTS
# whose paths match OBJECT_REGEX, linked against the named layers only.
function(kavach_layer_of objects name regex)
  add_library(kavach_layer_${name} SHARED
    $<FILTER:$<TARGET_OBJECTS:${objects}>,INCLUDE,${regex}>)
  set(deps)
  foreach(dep IN LISTS ARGN)
    list(APPEND deps kavach_layer_${dep})
  endforeach()
  target_link_libraries(kavach_layer_${name} PRIVATE ${deps} ${KAVACH_LAYER_EXTERNAL_DEPS})
  target_link_options(kavach_layer_${name} PRIVATE -Wl,--no-undefined)
  set_target_properties(kavach_layer_${name} PROPERTIES
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/layers)
endfunction()

function(kavach_layer name regex)
  kavach_layer_of(kavach_objects ${name} ${regex} ${ARGN})
endfunction()

# Sanitizer builds leave the runtime's symbols undefined in shared objects: no check there.
if(KAVACH_LAYER_CHECK AND NOT KAVACH_SANITIZE AND TARGET kavach_objects)
  set(KAVACH_LAYER_EXTERNAL_DEPS ${KAVACH_PRIVATE_DEPS} tl::expected nlohmann_json::nlohmann_json Threads::Threads)
  set(o "kavach_objects\\.dir")
  kavach_layer(core "${o}/core/")
  kavach_layer(host "${o}/host/" core)
  kavach_layer(gate "${o}/gate/" core)
  kavach_layer(credential "${o}/credential/" core)
  kavach_layer(audit "${o}/audit/" core)
  kavach_layer(guard "${o}/guard/" core)
  kavach_layer(backends_common "${o}/backends/common/" core host guard)
  kavach_layer(network "${o}/network/" core backends_common)
  kavach_layer(backends_noop "${o}/backends/noop/" core)
  kavach_layer(backends_process "${o}/backends/process/" core host backends_common network)
  kavach_layer(backends_oci "${o}/backends/oci/" core host backends_common network)
  kavach_layer(backends "${o}/backends/[^/]+\\.o$" core host backends_common backends_noop backends_process
               backends_oci)
  kavach_layer(sandbox "${o}/sandbox/" core gate credential audit backends network host)
  kavach_layer(capi "${o}/capi/" core gate credential audit backends network host sandbox)
endif()
