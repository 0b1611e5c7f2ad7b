# Configures, builds and runs tests/cmake_embed in one EMBED_MODE.
file(REMOVE_RECURSE "${WORK_DIR}")
foreach(step
    "${CMAKE_COMMAND};-S;${SOURCE_DIR}/tests/cmake_embed;-B;${WORK_DIR};-DEMBED_MODE=${MODE};-DDELIVSIM_SOURCE_DIR=${SOURCE_DIR};-DCMAKE_BUILD_TYPE=Release"
    "${CMAKE_COMMAND};--build;${WORK_DIR};--target;delivsim_example"
    "${WORK_DIR}/delivsim_example")
  execute_process(COMMAND ${step} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${step}\n${out}\n${err}")
  endif()
endforeach()
if(NOT out MATCHES "inbox")
  message(FATAL_ERROR "the example did not print a summary")
endif()
