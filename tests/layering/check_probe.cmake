# cmake -DBUILD_DIR=... -DTARGET=... -DEXPECT=compiles|<header> -P check_probe.cmake
# Builds one layering probe. EXPECT=compiles: the build must succeed.
# Otherwise the build must fail, and fail because <header> was not found.
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(log "${out}${err}")
if(EXPECT STREQUAL "compiles")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the control probe ${TARGET} must compile:\n${log}")
  endif()
  return()
endif()
if(rc EQUAL 0)
  message(FATAL_ERROR "${TARGET} compiled, but it includes ${EXPECT}, which its library must not see")
endif()
string(REPLACE "." "\\." pattern "${EXPECT}")
if(NOT log MATCHES "${pattern}: No such file or directory")
  message(FATAL_ERROR "${TARGET} failed, but not (only) for lack of ${EXPECT}:\n${log}")
endif()
message(STATUS "${TARGET}: refused as expected (${EXPECT} is not visible)")
