{-# LANGUAGE OverloadedStrings #-}
-- | Throughput of the Haskell binding against @mesos-local --simulate@ (a
-- benchmark, not a test: it never fails on time).
--
-- @mesos-sched-bench [--tasks N] [--rounds R] [--modes poll,thread]@: per
-- mode, with a fresh mesos-local (@MESOS_LOCAL_BIN@):
--
-- * launch flood: N simulated tasks launched in batches of 500 per offer, every
--   STARTING/RUNNING update acknowledged (implicitly, when 'statusUpdate'
--   returns); from the driver's start until every task reported TASK_RUNNING;
-- * reconcile flood: @reconcileTasks []@ makes the master send one update per
--   task (no acknowledgement); from the call to the last update, R times (the
--   best round is printed).
--
-- Rates are updates delivered to 'statusUpdate' per second; CPU is the
-- process's user+system time (every thread, the library's included) per update.
-- Mode @poll@ is the binding's default (callbacks served by its own thread),
-- @thread@ the library's dispatcher thread (option @dispatch=thread@).
module Main (main) where

import           Control.Concurrent.STM
import           Control.Exception      (throwIO)
import           Control.Monad          (forM, forM_, unless, when)
import qualified Data.ByteString.Char8  as BC
import           Data.IORef
import           GHC.Clock              (getMonotonicTime)
import           MesosLocal             (withMesosLocal)
import           System.CPUTime         (getCPUTime)
import           System.Environment     (getArgs)
import           System.Mesos.Scheduler
import           System.Mesos.Types     hiding (requestResources)
import           System.Timeout         (timeout)
import           Text.Printf            (printf)

-- | Counts updates; raises 'floodReached' once 'floodTarget' is reached.
data Flood = Flood
  { floodTasks    :: !Int
  , floodLaunched :: !(IORef Int)
  , floodUpdates  :: !(IORef Int)
    -- ^ Every update (written by the callbacks only).
  , floodRunning  :: !(IORef Int)
    -- ^ TASK_RUNNING updates before the first reconciliation.
  , floodTarget   :: !(TVar (Int, Int))
    -- ^ (running, updates) counts that end the current phase.
  , floodReached  :: !(TVar Bool)
  }

instance ToScheduler Flood where
  resourceOffers f driver offers = forM_ offers $ \offer -> do
    launched <- readIORef (floodLaunched f)
    let count = min 500 (floodTasks f - launched)
        task n = taskInfo (BC.pack ('t' : show n)) (TaskID (BC.pack ('t' : show n))) (offerSlaveId offer)
          [resource "cpus" (Scalar 1), resource "mem" (Scalar 32)] (TaskCommand (commandInfo (ShellCommand "true")))
    writeIORef (floodLaunched f) (launched + count)
    if count > 0
      then () <$ launchTasks driver [offerId' offer] (map task [launched .. launched + count - 1]) (Filters (Just 0))
      else () <$ declineOffer driver (offerId' offer) (Filters (Just 0))
  statusUpdate f _ status = do
    updates <- (+ 1) <$> readIORef (floodUpdates f)
    writeIORef (floodUpdates f) updates
    running <- readIORef (floodRunning f)
    let running' = if taskStatusState status == TaskRunning then running + 1 else running
    writeIORef (floodRunning f) running'
    (runningTarget, updatesTarget) <- readTVarIO (floodTarget f)
    when (running' >= runningTarget && updates >= updatesTarget) $ atomically (writeTVar (floodReached f) True)

-- | Process CPU seconds (all threads).
cpuSeconds :: IO Double
cpuSeconds = (/ 1e12) . fromIntegral <$> getCPUTime

data Result = Result
  { launchRate :: Double, launchCpuUs :: Double, reconcileRate :: Double, reconcileCpuUs :: Double }

measure :: String -> Int -> Int -> IO Result
measure mode tasks rounds =
  withMesosLocal ["--agents", "1", "--simulate=3600000", "--log-level", "error"
                 , "--resources", "cpus:" ++ show (tasks + 10) ++ ";mem:" ++ show (32 * (tasks + 10))] $ \master -> do
    f <- Flood tasks <$> newIORef 0 <*> newIORef 0 <*> newIORef 0 <*> newTVarIO (tasks, 0) <*> newTVarIO False
    let options = defaultDriverOptions { optionSettings = [("dispatch", BC.pack mode)] }
        waitReached = do
          done <- timeout (600 * 1000000) $ atomically (readTVar (floodReached f) >>= \r -> unless r retry)
          when (done == Nothing) $ throwIO (userError "timed out")
    withSchedulerDriverOptions f (frameworkInfo "" (BC.pack ("bench-" ++ mode))) (BC.pack master) Nothing options $ \driver -> do
      cpu0 <- cpuSeconds
      wall0 <- getMonotonicTime
      _ <- start driver
      waitReached
      cpu1 <- cpuSeconds
      wall1 <- getMonotonicTime
      launchUpdates <- readIORef (floodUpdates f)
      reconciles <- forM [1 .. rounds] $ \_ -> do
        before <- readIORef (floodUpdates f)
        atomically $ writeTVar (floodReached f) False >> writeTVar (floodTarget f) (0, before + tasks)
        c0 <- cpuSeconds
        w0 <- getMonotonicTime
        _ <- reconcileTasks driver []
        waitReached
        c1 <- cpuSeconds
        w1 <- getMonotonicTime
        return (fromIntegral tasks / (w1 - w0), (c1 - c0) / fromIntegral tasks * 1e6)
      _ <- stop driver False
      _ <- await driver
      return Result
        { launchRate = fromIntegral launchUpdates / (wall1 - wall0)
        , launchCpuUs = (cpu1 - cpu0) / fromIntegral launchUpdates * 1e6
        , reconcileRate = maximum (map fst reconciles)
        , reconcileCpuUs = minimum (map snd reconciles) }

main :: IO ()
main = do
  args <- getArgs
  let option name def = case dropWhile (/= name) args of
        _ : value : _ -> value
        _ -> def
      tasks = read (option "--tasks" "20000") :: Int
      rounds = read (option "--rounds" "3") :: Int
      modes = words (map (\c -> if c == ',' then ' ' else c) (option "--modes" "poll,thread"))
  printf "%d tasks, %d reconcile rounds\n" tasks rounds
  printf "%-7s %16s %14s %19s %17s\n" ("mode" :: String) ("launch upd/s" :: String) ("launch us/upd" :: String)
    ("reconcile upd/s" :: String) ("reconcile us/upd" :: String)
  forM_ modes $ \mode -> do
    r <- measure mode tasks rounds
    printf "%-7s %16.0f %14.1f %19.0f %17.2f\n" mode (launchRate r) (launchCpuUs r) (reconcileRate r) (reconcileCpuUs r)
