{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}
-- | Where callbacks run: by default the binding serves them from a thread of
-- its own (the library's poll mode), one at a time, in order, never on a
-- thread of the library; @dispatch=thread@ (the old mode) still runs them on
-- the library's dispatcher thread. Against @mesos-local --simulate@.
module PollSpec (spec) where

import           Control.Concurrent     (forkIO, killThread, yield)
import           Control.Concurrent.STM
import           Control.Exception      (SomeException, throwIO, try)
import           Control.Monad          (forM_, unless, void, when)
import qualified Data.ByteString.Char8  as BC
import           Data.IORef
import           Data.List              (isPrefixOf, nub)
import qualified Data.Map.Strict        as Map
import           Foreign.C.Types        (CInt (..))
import           MesosLocal             (withMesosLocal)
import           System.Mesos.Scheduler
import           System.Mesos.Types     hiding (requestResources)
import           System.Timeout         (timeout)
import           Test.Hspec

foreign import ccall unsafe "gettid" c_gettid :: IO CInt

-- | What the callbacks saw.
data Flood = Flood
  { floodTasks    :: !Int
  , floodLaunched :: !(IORef Int)
  , floodRunning  :: !(TVar Int)
    -- ^ Callbacks running now.
  , floodOverlaps :: !(TVar Int)
    -- ^ Callbacks that began while another was running.
  , floodThreads  :: !(TVar [(CInt, String)])
    -- ^ The OS thread (id, name) of every callback.
  , floodStates   :: !(TVar (Map.Map TaskID [TaskState]))
    -- ^ Every task's updates, latest first.
  , floodUpdates  :: !(TVar Int)
  , floodFailures :: !(TVar [String])
  }

newFlood :: Int -> IO Flood
newFlood tasks = Flood tasks <$> newIORef 0 <*> newTVarIO 0 <*> newTVarIO 0 <*> newTVarIO [] <*> newTVarIO Map.empty
  <*> newTVarIO 0 <*> newTVarIO []

-- | Runs a callback's body, noting its thread and whether it overlapped another.
inCallback :: Flood -> IO () -> IO ()
inCallback f body = do
  atomically $ do
    running <- readTVar (floodRunning f)
    when (running > 0) $ modifyTVar' (floodOverlaps f) (+ 1)
    writeTVar (floodRunning f) (running + 1)
  tid <- c_gettid
  name <- takeWhile (/= '\n') . BC.unpack <$> BC.readFile "/proc/thread-self/comm"
  atomically $ modifyTVar' (floodThreads f) ((tid, name) :)
  -- A chance for another callback to begin now, were callbacks not one at a time.
  yield
  outcome <- try body
  either (\(e :: SomeException) -> atomically (modifyTVar' (floodFailures f) (show e :))) return outcome
  atomically $ modifyTVar' (floodRunning f) (subtract 1)

instance ToScheduler Flood where
  registered f _ _ _ = inCallback f (return ())
  resourceOffers f driver offers = inCallback f $ forM_ offers $ \offer -> do
    launched <- readIORef (floodLaunched f)
    let count = min 100 (floodTasks f - launched)
        task n = taskInfo (BC.pack ("task " ++ show n)) (TaskID (BC.pack ("t" ++ show n))) (offerSlaveId offer)
          [resource "cpus" (Scalar 0.01), resource "mem" (Scalar 1)] (TaskCommand (commandInfo (ShellCommand "true")))
    writeIORef (floodLaunched f) (launched + count)
    -- Driver calls from inside a callback.
    status <- if count > 0
      then launchTasks driver [offerId' offer] (map task [launched .. launched + count - 1]) (Filters (Just 0))
      else declineOffer driver (offerId' offer) (Filters (Just 0))
    unless (status == Running) $ throwIO (userError ("a call in resourceOffers gave " ++ show status))
  statusUpdate f _ status = inCallback f $ atomically $ do
    modifyTVar' (floodStates f) (Map.insertWith (++) (taskStatusTaskId status) [taskStatusState status])
    modifyTVar' (floodUpdates f) (+ 1)

-- | Launches the tasks, waits until all run, reconciles them all, stops and
-- awaits: what the callbacks saw.
runFlood :: Int -> [(BC.ByteString, BC.ByteString)] -> IO Flood
runFlood tasks settings =
  withMesosLocal ["--agents", "1", "--simulate=3600000", "--resources", "cpus:100;mem:100000"] $ \master -> do
    f <- newFlood tasks
    let options = defaultDriverOptions { optionSettings = settings }
        running states = length (filter (elem TaskRunning) (Map.elems states))
        waitUntil what ready = do
          done <- timeout (60 * 1000000) $ atomically (ready >>= \r -> unless r retry)
          when (done == Nothing) $ do
            seen <- readTVarIO (floodUpdates f)
            throwIO (userError ("timed out waiting for " ++ what ++ " (" ++ show seen ++ " updates)"))
    withSchedulerDriverOptions f (frameworkInfo "" "haskell-poll") (BC.pack master) Nothing options $ \driver -> do
      start driver `shouldReturn` Running
      waitUntil "every task running" ((== tasks) . running <$> readTVar (floodStates f))
      updatesBefore <- readTVarIO (floodUpdates f)
      reconcileTasks driver [] `shouldReturn` Running
      waitUntil "the reconciliation" ((>= updatesBefore + tasks) <$> readTVar (floodUpdates f))
      stop driver False `shouldReturn` Stopped
      await driver `shouldReturn` Stopped
    return f

-- | No failed call, no overlap, every task's updates in order.
checkDelivery :: Flood -> Expectation
checkDelivery f = do
  readTVarIO (floodFailures f) `shouldReturn` []
  readTVarIO (floodOverlaps f) `shouldReturn` 0
  states <- readTVarIO (floodStates f)
  let rank s = case s of
        Staging -> 0 :: Int
        Starting -> 1
        TaskRunning -> 2
        _ -> 3
      ordered ss = and (zipWith (<=) ss (drop 1 ss))
      outOfOrder = Map.filter (not . ordered . map rank . reverse) states
  Map.size states `shouldBe` floodTasks f
  outOfOrder `shouldBe` Map.empty

spec :: Spec
spec = do
  it "runs the callbacks one at a time, in order, all on one thread of the program, none on the library's" $ do
    f <- runFlood 300 []
    checkDelivery f
    threads <- readTVarIO (floodThreads f)
    length threads `shouldSatisfy` (> 600)
    length (nub (map fst threads)) `shouldBe` 1
    filter ("mesos-sched" `isPrefixOf`) (nub (map snd threads)) `shouldBe` []

  it "with dispatch=thread (the old mode) runs them on the library's dispatcher thread instead" $ do
    f <- runFlood 300 [("dispatch", "thread")]
    checkDelivery f
    threads <- readTVarIO (floodThreads f)
    nub (map snd threads) `shouldBe` ["mesos-sched-dis"]

  it "run serves the callbacks on the binding's thread and returns once a callback stopped the driver" $
    withMesosLocal [] $ \master -> do
      seenThreads <- newIORef []
      let stopper = Stopper seenThreads
      result <- timeout (30 * 1000000) $
        withSchedulerDriver stopper (frameworkInfo "" "haskell-poll-run") (BC.pack master) Nothing run
      result `shouldBe` Just Stopped
      names <- readIORef seenThreads
      names `shouldSatisfy` (not . null)
      filter ("mesos-sched" `isPrefixOf`) names `shouldBe` []

  it "killing the thread in run leaves the callbacks served; stop and await still work" $
    withMesosLocal [] $ \master -> do
      offers <- newTVarIO 0
      let waitForOffers atLeast = do
            got <- timeout (20 * 1000000) $ atomically (readTVar offers >>= \n -> unless (n >= atLeast) retry)
            when (got == Nothing) $ throwIO (userError ("fewer than " ++ show atLeast ++ " offers"))
      withSchedulerDriver (Decliner offers) (frameworkInfo "" "haskell-poll-kill") (BC.pack master) Nothing $ \driver -> do
        runner <- forkIO (void (run driver))
        waitForOffers 1
        killThread runner
        seen <- readTVarIO offers
        -- Declined with refuse 0: offered again, served without any thread in run or await.
        waitForOffers (seen + 2)
        stop driver False `shouldReturn` Stopped
        timeout (10 * 1000000) (await driver) `shouldReturn` Just Stopped

-- | Stops the driver from its registered callback.
newtype Stopper = Stopper (IORef [String])

instance ToScheduler Stopper where
  registered (Stopper ref) driver _ _ = do
    name <- takeWhile (/= '\n') . BC.unpack <$> BC.readFile "/proc/thread-self/comm"
    modifyIORef ref (name :)
    void (stop driver False)

-- | Counts offers and declines them for 0 s (so they come again).
newtype Decliner = Decliner (TVar Int)

instance ToScheduler Decliner where
  resourceOffers (Decliner count) driver offers = do
    forM_ offers $ \o -> declineOffer driver (offerId' o) (Filters (Just 0))
    atomically (modifyTVar' count (+ length offers))
