{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}
-- | The scheduler API against a real @mesos-local@ process: register, launch
-- command tasks, status updates, kill, reconcile, stop; exceptions in
-- callbacks; usage errors. Every wait is bounded, so a broken driver fails a
-- test instead of hanging the suite.
module EndToEndSpec (spec) where

import           Control.Concurrent      (forkIO, threadDelay)
import           Control.Concurrent.MVar (newEmptyMVar, putMVar, takeMVar)
import           Control.Concurrent.STM
import           Control.Exception
import           Control.Monad           (forM_, void, when)
import qualified Data.ByteString         as BS
import qualified Data.ByteString.Char8   as BC
import           Data.IORef
import           Data.Maybe              (fromMaybe, isJust)
import           GHC.Clock               (getMonotonicTime)
import           System.Environment      (lookupEnv)
import           System.Exit             (ExitCode (..))
import           System.Process          (readProcessWithExitCode)
import           MesosLocal              (adminFault, getState, taskStateIn, withMesosLocal)
import           System.Mesos.Scheduler
import           System.Mesos.Types      hiding (requestResources)
import           System.Timeout          (timeout)
import           Test.Hspec

-- | What the driver told the scheduler.
data Event
  = EvRegistered FrameworkID MasterInfo
  | EvReRegistered MasterInfo
  | EvDisconnected
  | EvOffers [Offer]
  | EvRescinded OfferID
  | EvUpdate TaskStatus
  | EvMessage ExecutorID SlaveID BS.ByteString
  | EvSlaveLost SlaveID
  | EvExecutorLost ExecutorID SlaveID Status
  | EvError BS.ByteString
  deriving (Show, Eq)

-- | A scheduler that records every callback.
newtype Recorder = Recorder (TVar [Event])

newRecorder :: IO Recorder
newRecorder = Recorder <$> newTVarIO []

record :: Recorder -> Event -> IO ()
record (Recorder var) e = atomically (modifyTVar' var (++ [e]))

instance ToScheduler Recorder where
  registered r _ fid mi = record r (EvRegistered fid mi)
  reRegistered r _ mi = record r (EvReRegistered mi)
  disconnected r _ = record r EvDisconnected
  resourceOffers r _ offers = record r (EvOffers offers)
  offerRescinded r _ oid = record r (EvRescinded oid)
  statusUpdate r _ status = record r (EvUpdate status)
  frameworkMessage r _ eid sid bytes = record r (EvMessage eid sid bytes)
  slaveLost r _ sid = record r (EvSlaveLost sid)
  executorLost r _ eid sid status = record r (EvExecutorLost eid sid status)
  errorMessage r _ message = record r (EvError message)

-- | Take the first recorded event the function accepts (waiting at most the
-- given seconds); other events stay recorded.
waitFor :: Recorder -> Int -> String -> (Event -> Maybe a) -> IO a
waitFor (Recorder var) seconds what select = do
  found <- timeout (seconds * 1000000) $ atomically $ do
    events <- readTVar var
    case break (isJust . select) events of
      (_, []) -> retry
      (earlier, e : later) -> do
        writeTVar var (earlier ++ later)
        maybe retry return (select e)
  case found of
    Just x -> return x
    Nothing -> do
      events <- readTVarIO var
      expectationFailure ("timed out after " ++ show seconds ++ " s waiting for " ++ what ++ "; recorded: " ++ show events)
      error "unreachable"

registeredEvent :: Event -> Maybe (FrameworkID, MasterInfo)
registeredEvent (EvRegistered fid mi) = Just (fid, mi)
registeredEvent _ = Nothing

offersEvent :: Event -> Maybe [Offer]
offersEvent (EvOffers os) = Just os
offersEvent _ = Nothing

updateFor :: TaskID -> (TaskState -> Bool) -> Event -> Maybe TaskStatus
updateFor tid accept (EvUpdate s)
  | taskStatusTaskId s == tid && accept (taskStatusState s) = Just s
updateFor _ _ _ = Nothing

testFramework :: BS.ByteString -> FrameworkInfo
testFramework name = frameworkInfo "" name

-- | Run a started driver for a scheduler against a fresh mesos-local;
-- always stop it (failover = False) at the end.
withRunningDriver :: (Recorder -> SchedulerDriver -> String -> IO a) -> IO a
withRunningDriver = withRunningDriverOptions defaultDriverOptions

withRunningDriverOptions :: DriverOptions -> (Recorder -> SchedulerDriver -> String -> IO a) -> IO a
withRunningDriverOptions = withRunningDriverOn []

-- | The same, with extra mesos-local arguments.
withRunningDriverOn :: [String] -> DriverOptions -> (Recorder -> SchedulerDriver -> String -> IO a) -> IO a
withRunningDriverOn localArgs options body = withMesosLocal localArgs $ \master -> do
  recorder <- newRecorder
  -- A failover timeout keeps the framework registered across a lost connection.
  let info = (testFramework "haskell-e2e") { frameworkInfoFailoverTimeout = Just 60 }
  withSchedulerDriverOptions recorder info (BC.pack master) Nothing options $ \driver -> do
    start driver `shouldReturn` Running
    body recorder driver master `finally` void (stop driver False)

taskResources :: [Resource]
taskResources = [resource "cpus" (Scalar 0.1), resource "mem" (Scalar 32)]

shellTask :: BS.ByteString -> Offer -> BS.ByteString -> TaskInfo
shellTask tid offer command =
  taskInfo ("task " <> tid) (TaskID tid) (offerSlaveId offer) taskResources
    (TaskCommand (commandInfo (ShellCommand command)))

-- | Wait for offers, launch one task on the first, decline the rest.
launchOn :: Recorder -> SchedulerDriver -> (Offer -> TaskInfo) -> IO TaskInfo
launchOn recorder driver mkTask = do
  offer : others <- waitFor recorder 30 "offers" offersEvent
  let task = mkTask offer
  launchTasks driver [offerId' offer] [task] filters `shouldReturn` Running
  forM_ others $ \o -> declineOffer driver (offerId' o) (Filters (Just 1)) `shouldReturn` Running
  return task

-- | Fast re-registration for the fault tests.
fastBackoff :: DriverOptions
fastBackoff = defaultDriverOptions { optionSettings = [("backoff.initial_ms", "50"), ("backoff.max_ms", "200")] }

-- | Records the status the driver reports from inside errorMessage.
newtype ErrorProbe = ErrorProbe (TVar [(BS.ByteString, Status)])
instance ToScheduler ErrorProbe where
  errorMessage (ErrorProbe var) driver message = do
    status <- reviveOffers driver
    atomically (modifyTVar' var ((message, status) :))

-- | Poll mesos-local's /state until the task has that state (at most 20 s).
waitForTaskState :: String -> String -> String -> Expectation
waitForTaskState master taskId expected = go (100 :: Int) ""
  where
    go 0 lastSeen = expectationFailure ("task " ++ taskId ++ " never reached " ++ expected ++ "; /state: " ++ lastSeen)
    go n _ = do
      state <- getState master
      if taskStateIn taskId state == Just expected then return () else threadDelay 200000 >> go (n - 1) state

-- | A scheduler whose registered callback throws.
data Throwing = Throwing
instance ToScheduler Throwing where
  registered _ _ _ _ = throwIO (userError "boom from registered")

-- | A scheduler that calls await and destroyDriver inside a callback (usage errors).
newtype AwaitsInCallback = AwaitsInCallback (IORef (Maybe (Either DriverError Status, Either DriverError ())))
instance ToScheduler AwaitsInCallback where
  registered (AwaitsInCallback ref) driver _ _ = do
    awaited <- try (await driver)
    destroyed <- try (destroyDriver driver)
    writeIORef ref (Just (awaited, destroyed))

spec :: Spec
spec = do
  it "registers, reports the framework id and the master, then stops" $
    withMesosLocal [] $ \master -> do
      recorder <- newRecorder
      withSchedulerDriver recorder (testFramework "haskell-register") (BC.pack master) Nothing $ \driver -> do
        start driver `shouldReturn` Running
        start driver `shouldReturn` Running -- a second start changes nothing
        (FrameworkID fid, mi) <- waitFor recorder 30 "registered" registeredEvent
        BS.null fid `shouldBe` False
        let port = read (reverse (takeWhile (/= ':') (reverse master))) :: Int
        fmap fromIntegral (masterInfoPort mi) `shouldBe` Just port
        stop driver False `shouldReturn` Stopped
        await driver `shouldReturn` Stopped
        -- After stop, calls do nothing and report the status.
        reviveOffers driver `shouldReturn` Stopped

  it "launches a command task and delivers its status updates up to TASK_FINISHED" $
    withRunningDriver $ \recorder driver _ -> do
      task <- launchOn recorder driver (\o -> shellTask "ok-1" o "exit 0")
      let tid = taskInfoId' task
      running <- waitFor recorder 30 "TASK_RUNNING" (updateFor tid (== TaskRunning))
      taskStatusSlaveId running `shouldBe` Just (taskInfoSlaveId task)
      finished <- waitFor recorder 30 "TASK_FINISHED" (updateFor tid (== Finished))
      taskStatusUUID finished `shouldSatisfy` isJust

  it "passes the command's environment and reports a failing command as TASK_FAILED" $
    withRunningDriver $ \recorder driver _ -> do
      offer : _ <- waitFor recorder 30 "offers" offersEvent
      let withEnv tid command =
            (shellTask tid offer command)
              { taskInfoImplementation =
                  TaskCommand ((commandInfo (ShellCommand command)) { commandInfoEnvironment = Just [("GREETING", "hello")] }) }
          good = withEnv "env-ok" "test \"$GREETING\" = hello"
          bad = withEnv "env-bad" "test \"$GREETING\" = goodbye"
          raw = (shellTask "raw-3" offer "")
                  { taskInfoImplementation = TaskCommand (commandInfo (RawCommand "/bin/sh" ["sh", "-c", "exit 3"])) }
      launchTasks driver [offerId' offer] [good, bad, raw] filters `shouldReturn` Running
      void $ waitFor recorder 30 "env-ok finished" (updateFor "env-ok" (== Finished))
      void $ waitFor recorder 30 "env-bad failed" (updateFor "env-bad" (== Failed))
      void $ waitFor recorder 30 "raw-3 failed" (updateFor "raw-3" (== Failed))

  it "kills a running task (TASK_KILLED)" $
    withRunningDriver $ \recorder driver _ -> do
      task <- launchOn recorder driver (\o -> shellTask "sleeper" o "sleep 60")
      void $ waitFor recorder 30 "TASK_RUNNING" (updateFor (taskInfoId' task) (== TaskRunning))
      killTask driver (taskInfoId' task) `shouldReturn` Running
      void $ waitFor recorder 30 "TASK_KILLED" (updateFor (taskInfoId' task) (== Killed))

  it "reconciles a known task (explicitly and implicitly) and an unknown one" $
    withRunningDriver $ \recorder driver _ -> do
      task <- launchOn recorder driver (\o -> shellTask "long" o "sleep 60")
      let tid = taskInfoId' task
      running <- waitFor recorder 30 "TASK_RUNNING" (updateFor tid (== TaskRunning))
      reconcileTasks driver [running] `shouldReturn` Running
      explicit <- waitFor recorder 30 "reconciled TASK_RUNNING" $ \e -> case e of
        EvUpdate s | taskStatusTaskId s == tid && taskStatusReason s == Just ReasonReconcilation -> Just s
        _ -> Nothing
      taskStatusState explicit `shouldBe` TaskRunning
      reconcileTasks driver [] `shouldReturn` Running
      implicit <- waitFor recorder 30 "implicitly reconciled task" $ \e -> case e of
        EvUpdate s | taskStatusTaskId s == tid && taskStatusReason s == Just ReasonReconcilation -> Just s
        _ -> Nothing
      taskStatusState implicit `shouldBe` TaskRunning
      let unknown = TaskStatus "no-such-task" Staging Nothing Nothing Nothing Nothing
                      (taskStatusSlaveId running) Nothing Nothing Nothing Nothing
      reconcileTasks driver [unknown] `shouldReturn` Running
      lost <- waitFor recorder 30 "TASK_LOST for an unknown task" (updateFor "no-such-task" (const True))
      taskStatusState lost `shouldBe` Lost
      taskStatusReason lost `shouldBe` Just ReasonReconcilation
      taskStatusSource lost `shouldBe` Just SourceMaster

  it "sends a framework message to a task's executor and receives the echo (frameworkMessage)" $
    withRunningDriver $ \recorder driver _ -> do
      task <- launchOn recorder driver (\o -> shellTask "echoer" o "sleep 60")
      running <- waitFor recorder 30 "TASK_RUNNING" (updateFor (taskInfoId' task) (== TaskRunning))
      let Just executor = taskStatusExecutorId running
          payload = BS.pack [0, 1, 2, 200, 255]
      sendFrameworkMessage driver executor (taskInfoSlaveId task) payload `shouldReturn` Running
      (eid, sid, bytes) <- waitFor recorder 30 "frameworkMessage" $ \e -> case e of
        EvMessage x y z -> Just (x, y, z)
        _ -> Nothing
      (eid, sid, bytes) `shouldBe` (executor, taskInfoSlaveId task, payload)

  it "declares PARTITION_AWARE through FrameworkInfoExtras (unknown tasks reconcile as TASK_UNKNOWN)" $
    withRunningDriverOptions defaultDriverOptions
        { optionFrameworkInfoExtras = noFrameworkInfoExtras { extrasCapabilities = [PartitionAware] } } $
      \recorder driver _ -> do
        (fid, _) <- waitFor recorder 30 "registered" registeredEvent
        let unknown = TaskStatus "ghost" Staging Nothing Nothing Nothing Nothing Nothing Nothing Nothing Nothing Nothing
        reconcileTasks driver [unknown] `shouldReturn` Running
        s <- waitFor recorder 30 "reconciliation of an unknown task" (updateFor "ghost" (const True))
        taskStatusState s `shouldBe` TaskUnknown
        -- updateFramework keeps the capability.
        let info = (testFramework "haskell-e2e") { frameworkInfoId' = Just fid, frameworkInfoFailoverTimeout = Just 60 }
        updateFramework driver info [] `shouldReturn` Running
        reconcileTasks driver [unknown { taskStatusTaskId = "ghost-2" }] `shouldReturn` Running
        s2 <- waitFor recorder 30 "reconciliation after the update" (updateFor "ghost-2" (const True))
        taskStatusState s2 `shouldBe` TaskUnknown

  it "launches through acceptOffers, declines, revives, suppresses, requests resources" $
    withRunningDriver $ \recorder driver _ -> do
      offer : others <- waitFor recorder 30 "offers" offersEvent
      let task = shellTask "accepted" offer "exit 0"
      acceptOffers driver [offerId' offer] [OfferLaunch [task]] filters `shouldReturn` Running
      void $ waitFor recorder 30 "TASK_FINISHED" (updateFor "accepted" (== Finished))
      forM_ others $ \o -> declineOffer driver (offerId' o) (Filters (Just 0.5)) `shouldReturn` Running
      suppressOffers driver `shouldReturn` Running
      suppressOffersFor driver ["*"] `shouldReturn` Running
      reviveOffers driver `shouldReturn` Running
      reviveOffersFor driver [] `shouldReturn` Running
      requestResources driver [Request Nothing taskResources] `shouldReturn` Running
      -- After the revive, offers come back.
      void $ waitFor recorder 30 "offers after revive" offersEvent

  it "launches a TaskInfo with a field beyond the records (a raw kill_policy) through OfferOperationRaw" $
    withRunningDriver $ \recorder driver _ -> do
      offer : _ <- waitFor recorder 30 "offers" offersEvent
      -- The task ignores SIGTERM: only the kill policy's grace (0.1 s instead of the
      -- default 3 s) ends it soon after killTask.
      let task = shellTask "raw-kill-policy" offer "trap '' TERM; sleep 60"
          raw = encodeMessage . RawMessage
          -- KillPolicy { grace_period (1) = DurationInfo { nanoseconds (1) = 0.1 s } }
          killPolicy = raw [(1, BytesValue (raw [(1, VarintValue 100000000)]))]
          launch = raw [ (1, VarintValue 1)
                       , (2, BytesValue (raw [(1, BytesValue (withRawFields task [(12, BytesValue killPolicy)]))])) ]
      acceptOffers driver [offerId' offer] [OfferOperationRaw launch] filters `shouldReturn` Running
      void $ waitFor recorder 30 "TASK_RUNNING" (updateFor "raw-kill-policy" (== TaskRunning))
      begun <- getMonotonicTime
      killTask driver "raw-kill-policy" `shouldReturn` Running
      void $ waitFor recorder 30 "TASK_KILLED" (updateFor "raw-kill-policy" (== Killed))
      ended <- getMonotonicTime
      (ended - begun) `shouldSatisfy` (< 2)

  it "acknowledges explicitly when implicit acknowledgements are off" $
    withRunningDriverOptions defaultDriverOptions { optionImplicitAcknowledgements = False } $ \recorder driver _ -> do
      task <- launchOn recorder driver (\o -> shellTask "acked" o "exit 0")
      let tid = taskInfoId' task
          ackUntilFinished = do
            s <- waitFor recorder 30 "an update" (updateFor tid (const True))
            acknowledgeStatusUpdate driver s `shouldReturn` Running
            when (taskStatusState s /= Finished) ackUntilFinished
      ackUntilFinished

  it "refuses acknowledgeStatusUpdate with implicit acknowledgements (InvalidState)" $
    withRunningDriver $ \recorder driver _ -> do
      task <- launchOn recorder driver (\o -> shellTask "implicit" o "exit 0")
      s <- waitFor recorder 30 "an update" (updateFor (taskInfoId' task) (const True))
      acknowledgeStatusUpdate driver s `shouldThrow` (\e -> driverErrorCode e == InvalidState)

  it "updates the framework info" $
    withRunningDriver $ \recorder driver _ -> do
      (fid, _) <- waitFor recorder 30 "registered" registeredEvent
      let info = (testFramework "haskell-e2e") { frameworkInfoId' = Just fid, frameworkInfoFailoverTimeout = Just 120 }
      updateFramework driver info [] `shouldReturn` Running
      -- The framework keeps working afterwards.
      void $ launchOn recorder driver (\o -> shellTask "after-update" o "exit 0")
      void $ waitFor recorder 30 "TASK_FINISHED" (updateFor "after-update" (== Finished))

  it "stop False tears the framework down (its running task is killed)" $
    withMesosLocal [] $ \master -> do
      recorder <- newRecorder
      withSchedulerDriver recorder (testFramework "haskell-teardown") (BC.pack master) Nothing $ \driver -> do
        start driver `shouldReturn` Running
        task <- launchOn recorder driver (\o -> shellTask "torn-down" o "sleep 60")
        void $ waitFor recorder 30 "TASK_RUNNING" (updateFor (taskInfoId' task) (== TaskRunning))
        stop driver False `shouldReturn` Stopped
      waitForTaskState master "torn-down" "TASK_KILLED"

  it "stop True (failover) leaves the task running" $
    withMesosLocal [] $ \master -> do
      recorder <- newRecorder
      let info = (testFramework "haskell-failover") { frameworkInfoFailoverTimeout = Just 300 }
      withSchedulerDriver recorder info (BC.pack master) Nothing $ \driver -> do
        start driver `shouldReturn` Running
        task <- launchOn recorder driver (\o -> shellTask "survivor" o "sleep 60")
        void $ waitFor recorder 30 "TASK_RUNNING" (updateFor (taskInfoId' task) (== TaskRunning))
        stop driver True `shouldReturn` Stopped
      threadDelay 500000
      state <- getState master
      taskStateIn "survivor" state `shouldBe` Just "TASK_RUNNING"

  it "calls disconnected, then reRegistered with the master, when the stream closes" $
    withRunningDriverOn ["--admin"] fastBackoff $ \recorder _ master -> do
      (_, mi) <- waitFor recorder 30 "registered" registeredEvent
      adminFault master "close_streams" "" >>= (`shouldContain` "200")
      waitFor recorder 30 "disconnected" (\e -> if e == EvDisconnected then Just () else Nothing)
      mi' <- waitFor recorder 30 "reRegistered" (\e -> case e of EvReRegistered m -> Just m; _ -> Nothing)
      masterInfoId' mi' `shouldBe` masterInfoId' mi

  it "launching while disconnected gives TASK_LOST (Master disconnected) at once" $
    withRunningDriverOn ["--admin"] fastBackoff $ \recorder driver master -> do
      offer : _ <- waitFor recorder 30 "offers" offersEvent
      -- Keep the driver from resubscribing for a while, then cut its stream.
      adminFault master "fail_calls" "status=503&ms=3000" >>= (`shouldContain` "200")
      adminFault master "close_streams" "" >>= (`shouldContain` "200")
      waitFor recorder 30 "disconnected" (\e -> if e == EvDisconnected then Just () else Nothing)
      launchTasks driver [offerId' offer] [shellTask "while-away" offer "exit 0"] filters `shouldReturn` Running
      lost <- waitFor recorder 30 "synthesized TASK_LOST" (updateFor "while-away" (const True))
      (taskStatusState lost, taskStatusSource lost, taskStatusReason lost, taskStatusMessage lost)
        `shouldBe` (Lost, Just SourceMaster, Just ReasonMasterDisconnected, Just "Master disconnected")
      void $ waitFor recorder 30 "reRegistered" (\e -> case e of EvReRegistered m -> Just m; _ -> Nothing)

  it "rescinds the offers of a lost agent and calls slaveLost" $
    withRunningDriverOn ["--admin"] defaultDriverOptions $ \recorder _ master -> do
      offer : _ <- waitFor recorder 30 "offers" offersEvent
      let SlaveID agent = offerSlaveId offer
      adminFault master "lose_agent" ("id=" ++ BC.unpack agent) >>= (`shouldContain` "200")
      rescinded <- waitFor recorder 30 "offerRescinded" (\e -> case e of EvRescinded o -> Just o; _ -> Nothing)
      rescinded `shouldBe` offerId' offer
      lost <- waitFor recorder 30 "slaveLost" (\e -> case e of EvSlaveLost a -> Just a; _ -> Nothing)
      lost `shouldBe` offerSlaveId offer

  it "calls errorMessage on an ERROR event, with the driver already aborted" $
    withMesosLocal ["--admin"] $ \master -> do
      var <- newTVarIO []
      withSchedulerDriver (ErrorProbe var) (testFramework "haskell-error") (BC.pack master) Nothing $ \driver -> do
        start driver `shouldReturn` Running
        -- Wait until subscribed: the injected error goes to open streams only.
        let inject n = do
              reply <- adminFault master "error" "message=go%20away"
              seen <- timeout 1000000 (atomically (readTVar var >>= \xs -> if null xs then retry else return xs))
              case seen of
                Just xs -> return xs
                Nothing | n > (0 :: Int) -> inject (n - 1)
                        | otherwise -> expectationFailure ("no errorMessage; last reply " ++ reply) >> return []
        calls <- inject 20
        calls `shouldBe` [("go away", Aborted)]
        await driver `shouldReturn` Aborted

  it "authenticates with a Credential, and reports a wrong secret through errorMessage" $
    withMesosLocal ["--authenticate", "hs-principal:hs-secret"] $ \master -> do
      good <- newRecorder
      withSchedulerDriver good (testFramework "haskell-auth") (BC.pack master)
          (Just (Credential "hs-principal" (Just "hs-secret"))) $ \driver -> do
        start driver `shouldReturn` Running
        void $ waitFor good 30 "registered" registeredEvent
        stop driver False `shouldReturn` Stopped
      bad <- newRecorder
      withSchedulerDriver bad (testFramework "haskell-auth-bad") (BC.pack master)
          (Just (Credential "hs-principal" (Just "wrong"))) $ \driver -> do
        start driver `shouldReturn` Running
        void $ waitFor bad 30 "errorMessage" (\e -> case e of EvError m -> Just m; _ -> Nothing)
        timeout (10 * 1000000) (await driver) `shouldReturn` Just Aborted

  it "aborts the driver when a callback throws, without crashing or hanging" $
    withMesosLocal [] $ \master -> do
      status <- withSchedulerDriver Throwing (testFramework "haskell-throws") (BC.pack master) Nothing $ \driver ->
        timeout (30 * 1000000) (run driver)
      status `shouldBe` Just Aborted

  it "reports await and destroyDriver inside a callback as CalledFromCallback" $
    withMesosLocal [] $ \master -> do
      ref <- newIORef Nothing
      withSchedulerDriver (AwaitsInCallback ref) (testFramework "haskell-await") (BC.pack master) Nothing $ \driver -> do
        start driver `shouldReturn` Running
        let poll n = do
              r <- readIORef ref
              case r of
                Just result -> return result
                Nothing | n > (0 :: Int) -> threadDelaySeconds 0.1 >> poll (n - 1)
                        | otherwise -> expectationFailure "registered never ran" >> error "unreachable"
        (awaited, destroyed) <- poll 300
        either driverErrorCode (const (OtherErrorCode 0)) awaited `shouldBe` CalledFromCallback
        either driverErrorCode (const (OtherErrorCode 0)) destroyed `shouldBe` CalledFromCallback
        -- The driver still works.
        reviveOffers driver `shouldReturn` Running
        stop driver False `shouldReturn` Stopped

  it "runs the example framework (examples/CommandTasks.hs) to completion" $
    withMesosLocal [] $ \master -> do
      binary <- fromMaybe "dist/build/mesos-sched-example/mesos-sched-example" <$> lookupEnv "MESOS_SCHED_EXAMPLE_BIN"
      result <- timeout (90 * 1000000) (readProcessWithExitCode binary [master, "4"] "")
      case result of
        Nothing -> expectationFailure "the example did not finish within 90 s"
        Just (code, out, err) -> do
          (code, err) `shouldSatisfy` ((== ExitSuccess) . fst)
          out `shouldContain` "task example-4 is Finished"

  it "await can be interrupted, and destroying the driver releases a waiting thread" $ do
    recorder <- newRecorder
    waiter <- newEmptyMVar
    withSchedulerDriver recorder (testFramework "haskell-await-timeout") "127.0.0.1:1" Nothing $ \driver -> do
      start driver `shouldReturn` Running
      timeout 300000 (await driver) `shouldReturn` Nothing
      reviveOffers driver `shouldReturn` Running
      void $ forkIO (try (await driver) >>= putMVar waiter)
    -- The driver was destroyed under the waiting thread: it returned, no crash.
    released <- timeout (10 * 1000000) (takeMVar waiter)
    fmap (either (\(e :: DriverError) -> Left (driverErrorCode e)) Right) released
      `shouldSatisfy` (`elem` [Just (Right Stopped), Just (Left DriverDestroyed)])

  it "takes calls from many threads at once while tasks run" $
    withRunningDriver $ \recorder driver _ -> do
      offer : _ <- waitFor recorder 30 "offers" offersEvent
      let tasks = [shellTask (BC.pack ("many-" ++ show i)) offer "exit 0" | i <- [1 .. 10 :: Int]]
      done <- newEmptyMVar
      forM_ [1 .. 8 :: Int] $ \_ -> forkIO $ do
        results <- try $ forM_ [1 .. 50 :: Int] $ \_ -> do
          s1 <- reconcileTasks driver []
          s2 <- requestResources driver []
          s3 <- killTask driver "no-such-task"
          when ([s1, s2, s3] /= [Running, Running, Running]) $ throwIO (userError (show [s1, s2, s3]))
        putMVar done (results :: Either SomeException ())
      launchTasks driver [offerId' offer] tasks filters `shouldReturn` Running
      outcomes <- mapM (const (takeMVar done)) [1 .. 8 :: Int]
      [e | Left e <- outcomes] `shouldSatisfy` null . map show
      forM_ tasks $ \t -> waitFor recorder 30 "TASK_FINISHED" (updateFor (taskInfoId' t) (== Finished))

  it "destroys the driver safely while other threads are calling it" $ do
    recorder <- newRecorder
    finished <- newEmptyMVar
    withSchedulerDriver recorder (testFramework "haskell-destroy-race") "127.0.0.1:1" Nothing $ \driver -> do
      start driver `shouldReturn` Running
      forM_ [1 .. 6 :: Int] $ \_ -> forkIO $ do
        let loop n = do
              r <- try (reviveOffers driver)
              case r of
                Right _ -> loop (n + 1 :: Int)
                Left (e :: DriverError) -> putMVar finished (driverErrorCode e, n)
        loop 0
      threadDelay 100000
    codes <- mapM (const (timeout (10 * 1000000) (takeMVar finished))) [1 .. 6 :: Int]
    map (fmap fst) codes `shouldBe` replicate 6 (Just DriverDestroyed)

  it "never deadlocks when the driver is destroyed while another thread enters run" $ do
    recorder <- newRecorder
    outcome <- timeout (60 * 1000000) $ forM_ [1 .. 40 :: Int] $ \i -> do
      runner <- newEmptyMVar
      withSchedulerDriver recorder (testFramework "haskell-run-race") "127.0.0.1:1" Nothing $ \driver -> do
        void $ forkIO (try (run driver) >>= putMVar runner)
        when (even i) (threadDelay 1000)
      result <- timeout (10 * 1000000) (takeMVar runner)
      case result of
        Just (Right s) -> s `shouldSatisfy` (`elem` [Stopped, NotStarted])
        Just (Left e) -> driverErrorCode e `shouldBe` DriverDestroyed
        Nothing -> expectationFailure "run never returned"
    outcome `shouldBe` Just ()

  it "stops cleanly while the master is unreachable (no hang)" $ do
    recorder <- newRecorder
    result <- timeout (30 * 1000000) $
      withSchedulerDriver recorder (testFramework "haskell-nomaster") "127.0.0.1:1" Nothing $ \driver -> do
        start driver `shouldReturn` Running
        threadDelaySeconds 0.5
        killTask driver "whatever" `shouldReturn` Running
        stop driver True `shouldReturn` Stopped
        await driver
    result `shouldBe` Just Stopped

  it "throws DriverError on misuse instead of crashing" $ do
    recorder <- newRecorder
    leaked <- withSchedulerDriver recorder (testFramework "haskell-misuse") "127.0.0.1:1" Nothing $ \driver -> do
      setOption driver "no.such.option" "1" `shouldThrow` (\e -> driverErrorCode e == InvalidArgument)
      setOption driver "bad\0key" "1" `shouldThrow` (\e -> driverErrorCode e == InvalidArgument)
      return driver
    start leaked `shouldThrow` (\e -> driverErrorCode e == DriverDestroyed)
    withSchedulerDriver recorder (testFramework "haskell-misuse") "not a master string" Nothing (const (return ()))
      `shouldThrow` (\e -> driverErrorCode e == InvalidArgument)

  it "creates a driver with options and reports the library version" $ do
    recorder <- newRecorder
    let options = defaultDriverOptions { optionSettings = [("backoff.initial_ms", "100")] }
    withSchedulerDriverOptions recorder (testFramework "haskell-options") "127.0.0.1:1" Nothing options $ \driver ->
      stop driver False `shouldReturn` NotStarted
    version <- libraryVersion
    length (filter (== '.') version) `shouldBe` 2
  where
    threadDelaySeconds :: Double -> IO ()
    threadDelaySeconds s = threadDelay (round (s * 1000000))
