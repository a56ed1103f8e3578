"""Schedule watchdog: notices scheduled ECS tasks that did not run, do not succeed, or lost their schedule."""
