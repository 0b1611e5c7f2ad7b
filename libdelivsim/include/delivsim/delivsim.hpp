#pragma once
// Everything: the scenario model and loader, the engine, results and explain.
#include <delivsim/engine/attribute.hpp>
#include <delivsim/engine/checkpoint.hpp>
#include <delivsim/engine/compare.hpp>
#include <delivsim/engine/explain.hpp>
#include <delivsim/engine/run.hpp>
#include <delivsim/engine/trace.hpp>
#include <delivsim/results/report.hpp>
#include <delivsim/scenario/default_scenario.hpp>
#include <delivsim/scenario/load.hpp>
#include <delivsim/version.hpp>
