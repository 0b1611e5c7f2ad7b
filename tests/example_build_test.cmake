# Builds and runs the C++ example (examples/cpp_consumer/main.cpp) against delivsim consumed
# in one of the three ways a CMake project can:
#   MODE=installed     `cmake --install` into a staging prefix, then find_package(delivsim CONFIG)
#   MODE=subdirectory  add_subdirectory(<delivsim source>)       (tests/cmake_embed)
#   MODE=fetchcontent  FetchContent with SOURCE_DIR               (tests/cmake_embed)
file(REMOVE_RECURSE "${WORK_DIR}")
# Each step is one command, its arguments separated by "|" (a CMake list cannot nest).
if(MODE STREQUAL "installed")
  set(prefix "${WORK_DIR}/prefix")
  set(steps
    "${CMAKE_COMMAND}|--install|${BUILD_DIR}|--prefix|${prefix}"
    "${CMAKE_COMMAND}|-S|${SOURCE_DIR}/examples/cpp_consumer|-B|${WORK_DIR}/build|-DCMAKE_PREFIX_PATH=${prefix}|-DCMAKE_BUILD_TYPE=Release")
else()
  set(steps
    "${CMAKE_COMMAND}|-S|${SOURCE_DIR}/tests/cmake_embed|-B|${WORK_DIR}/build|-DEMBED_MODE=${MODE}|-DDELIVSIM_SOURCE_DIR=${SOURCE_DIR}|-DCMAKE_BUILD_TYPE=Release")
endif()
list(APPEND steps "${CMAKE_COMMAND}|--build|${WORK_DIR}/build|--target|delivsim_example" "${WORK_DIR}/build/delivsim_example")
foreach(step IN LISTS steps)
  string(REPLACE "|" ";" command "${step}")
  execute_process(COMMAND ${command} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE "|" " " shown "${step}")
    message(FATAL_ERROR "step failed (${rc}): ${shown}\n${out}\n${err}")
  endif()
endforeach()
if(NOT out MATCHES "inbox")
  message(FATAL_ERROR "the example did not print a summary")
endif()
